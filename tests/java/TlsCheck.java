// The JDK as TLS judge: serve TLS on loopback with one keystore and connect with a client that
// trusts only the given truststore. Prints the SHA-256 fingerprint of the certificate served.
// Usage: java TlsCheck <keystore> <type> <storepass> <keypass> <truststore> <type> <storepass> [alias]
// With an alias, the server serves that key entry only, as WSO2's connector does (certificateKeyAlias).
import java.io.FileInputStream;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

public class TlsCheck {
    static KeyStore load(String path, String type, String password) throws Exception {
        KeyStore store = KeyStore.getInstance(type);
        try (FileInputStream in = new FileInputStream(path)) {
            store.load(in, password.toCharArray());
        }
        return store;
    }

    public static void main(String[] args) throws Exception {
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        KeyStore keys = load(args[0], args[1], args[2]);
        if (args.length > 7) {
            KeyStore only = KeyStore.getInstance("PKCS12");
            only.load(null, null);
            only.setKeyEntry(args[7], keys.getKey(args[7], args[3].toCharArray()), args[3].toCharArray(),
                             keys.getCertificateChain(args[7]));
            keys = only;
        }
        kmf.init(keys, args[3].toCharArray());
        SSLContext serverContext = SSLContext.getInstance("TLS");
        serverContext.init(kmf.getKeyManagers(), null, null);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(load(args[4], args[5], args[6]));
        SSLContext clientContext = SSLContext.getInstance("TLS");
        clientContext.init(null, tmf.getTrustManagers(), null);

        SSLServerSocket server = (SSLServerSocket) serverContext.getServerSocketFactory()
            .createServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
        server.setSoTimeout(20000);
        Thread serving = new Thread(() -> {
            try (SSLSocket peer = (SSLSocket) server.accept()) {
                peer.startHandshake();
                peer.getOutputStream().write(42);
                peer.getOutputStream().flush();
            } catch (Exception e) {
                System.err.println("server: " + e);
            }
        });
        serving.start();
        try (SSLSocket client = (SSLSocket) clientContext.getSocketFactory()
                .createSocket(java.net.InetAddress.getLoopbackAddress(), server.getLocalPort())) {
            client.setSoTimeout(20000);
            client.startHandshake();
            int value = client.getInputStream().read();
            X509Certificate served = (X509Certificate) client.getSession().getPeerCertificates()[0];
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(served.getEncoded());
            StringBuilder hex = new StringBuilder();
            for (byte b : digest) {
                if (hex.length() > 0) hex.append(':');
                hex.append(String.format("%02X", b));
            }
            System.out.println((value == 42 ? "HANDSHAKE-OK " : "HANDSHAKE-NO-DATA ") + hex);
        } catch (Exception e) {
            System.out.println("HANDSHAKE-FAILED " + e);
            System.exit(1);
        } finally {
            serving.join(20000);
            server.close();
        }
    }
}
