// The JDK as independent judge: load a keystore, open one key with its key password,
// and check that the key belongs to the entry's certificate (sign + verify).
// Usage: java KeyCheck.java <file> <JKS|PKCS12> <storepass> <alias> <keypass>
import java.io.FileInputStream;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;

public class KeyCheck {
    public static void main(String[] args) throws Exception {
        KeyStore store = KeyStore.getInstance(args[1]);
        try (FileInputStream in = new FileInputStream(args[0])) {
            store.load(in, args[2].toCharArray());
        }
        PrivateKey key = (PrivateKey) store.getKey(args[3], args[4].toCharArray());
        if (key == null) {
            System.out.println("NO-KEY " + args[3]);
            System.exit(2);
        }
        X509Certificate cert = (X509Certificate) store.getCertificate(args[3]);
        String algorithm = key.getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256withRSA";
        Signature signer = Signature.getInstance(algorithm);
        signer.initSign(key);
        signer.update("carbon.keystores".getBytes("UTF-8"));
        byte[] signature = signer.sign();
        Signature verifier = Signature.getInstance(algorithm);
        verifier.initVerify(cert.getPublicKey());
        verifier.update("carbon.keystores".getBytes("UTF-8"));
        boolean ok = verifier.verify(signature);
        System.out.println((ok ? "KEY-OK " : "KEY-MISMATCH ") + key.getAlgorithm() + " entries=" + store.size());
        System.exit(ok ? 0 : 3);
    }
}
