// The JDK as independent judge of the secure vault: load the internal keystore, decrypt each Base64 value given
// with javax.crypto's Cipher (no WSO2 code), as WSO2's runtime does, and print alias=plaintext lines.
// Usage: java SecretCheck <file> <JKS|PKCS12> <storepass> <alias> <keypass> <transformation> <alias=base64|@file>...
// An argument @file names a properties file (cipher-text.properties), read with java.util.Properties as the runtime
// reads it, whose every value is decrypted.
// The transformation "RSA" is what Cipher.getInstance("RSA") gives: RSA/ECB/PKCS1Padding on the JDK.
import java.io.FileInputStream;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Properties;
import java.util.TreeSet;
import javax.crypto.Cipher;

public class SecretCheck {
    public static void main(String[] args) throws Exception {
        KeyStore store = KeyStore.getInstance(args[1]);
        try (FileInputStream in = new FileInputStream(args[0])) {
            store.load(in, args[2].toCharArray());
        }
        PrivateKey key = (PrivateKey) store.getKey(args[3], args[4].toCharArray());
        List<String[]> values = new ArrayList<>();
        for (int i = 6; i < args.length; i++) {
            if (args[i].startsWith("@")) {
                Properties properties = new Properties();
                try (FileInputStream in = new FileInputStream(args[i].substring(1))) {
                    properties.load(in);
                }
                for (String name : new TreeSet<>(properties.stringPropertyNames())) {
                    values.add(new String[] {name, properties.getProperty(name)});
                }
            } else {
                int separator = args[i].indexOf('=');
                values.add(new String[] {args[i].substring(0, separator), args[i].substring(separator + 1)});
            }
        }
        for (String[] value : values) {
            Cipher cipher = Cipher.getInstance(args[5]);
            cipher.init(Cipher.DECRYPT_MODE, key);
            byte[] plain = cipher.doFinal(Base64.getDecoder().decode(value[1].trim()));
            System.out.println(value[0] + "=" + new String(plain, StandardCharsets.UTF_8));
        }
    }
}
