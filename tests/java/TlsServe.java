// A stand-in for the product's HTTPS port: serve TLS on loopback with one key entry of a keystore, as WSO2's
// connector does (certificateKeyAlias), until killed. The keystore is read once, at start, as the product reads it:
// replacing the file afterwards changes nothing served, as on a node not restarted.
// Usage: java TlsServe <keystore> <type> <storepass> <keypass> <alias>; prints "SERVING <port>" when ready.
import java.io.FileInputStream;
import java.security.KeyStore;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

public class TlsServe {
    public static void main(String[] args) throws Exception {
        KeyStore keys = KeyStore.getInstance(args[1]);
        try (FileInputStream in = new FileInputStream(args[0])) {
            keys.load(in, args[2].toCharArray());
        }
        KeyStore only = KeyStore.getInstance("PKCS12");
        only.load(null, null);
        only.setKeyEntry(args[4], keys.getKey(args[4], args[3].toCharArray()), args[3].toCharArray(),
                         keys.getCertificateChain(args[4]));
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(only, args[3].toCharArray());
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf.getKeyManagers(), null, null);
        SSLServerSocket server = (SSLServerSocket) context.getServerSocketFactory()
            .createServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        System.out.println("SERVING " + server.getLocalPort());
        System.out.flush();
        while (true) {
            try (SSLSocket peer = (SSLSocket) server.accept()) {
                peer.setSoTimeout(10000);
                peer.startHandshake();
                peer.getOutputStream().write(42);
                peer.getOutputStream().flush();
            } catch (Exception e) {
                System.err.println("server: " + e);
            }
        }
    }
}
