// The JDK as independent judge of the secure vault: load the internal keystore, decrypt each Base64 value given
// with javax.crypto's Cipher (no WSO2 code), as WSO2's runtime does, and print alias=plaintext lines.
// Usage: java SecretCheck <file> <JKS|PKCS12> <storepass> <alias> <keypass> <transformation> <alias=base64>...
// The transformation "RSA" is what Cipher.getInstance("RSA") gives: RSA/ECB/PKCS1Padding on the JDK.
import java.io.FileInputStream;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.util.Base64;
import javax.crypto.Cipher;

public class SecretCheck {
    public static void main(String[] args) throws Exception {
        KeyStore store = KeyStore.getInstance(args[1]);
        try (FileInputStream in = new FileInputStream(args[0])) {
            store.load(in, args[2].toCharArray());
        }
        PrivateKey key = (PrivateKey) store.getKey(args[3], args[4].toCharArray());
        for (int i = 6; i < args.length; i++) {
            int separator = args[i].indexOf('=');
            Cipher cipher = Cipher.getInstance(args[5]);
            cipher.init(Cipher.DECRYPT_MODE, key);
            byte[] plain = cipher.doFinal(Base64.getDecoder().decode(args[i].substring(separator + 1)));
            System.out.println(args[i].substring(0, separator) + "=" + new String(plain, StandardCharsets.UTF_8));
        }
    }
}
