// Starts DynamoDB Local listening on one address only (127.0.0.1), which its command line cannot do: its Jetty server
// is built with `new Server(port)`, whose connector binds every interface. This launcher builds the server exactly as
// DynamoDB Local's own `main` does (`ServerRunner.createServerFromCommandLineArgs`), sets the host of each connector
// before starting it, and refuses to start when a connector is not the plain `ServerConnector` it knows how to bind.
//
// Run in Java's source-file mode (no build step, JDK 11+ with the jdk.compiler module):
//   java -cp DynamoDBLocal.jar:DynamoDBLocal_lib/* local/dynamodb-local-loopback.java <host> <DynamoDB Local args...>

import java.lang.reflect.Field;
import java.util.Arrays;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

final class DynamoDbLocalLoopback {
  public static void main(String[] args) throws Exception {
    if (args.length < 1) {
      System.err.println("usage: dynamodb-local-loopback.java <host> [DynamoDB Local options]");
      System.exit(2);
    }
    String host = args[0];
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(Arrays.copyOfRange(args, 1, args.length));
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server server = (Server) field.get(proxy);
    Connector[] connectors = server.getConnectors();
    if (connectors.length == 0) {
      System.err.println("DynamoDB Local built a server without connectors; refusing to start");
      System.exit(1);
    }
    for (Connector connector : connectors) {
      if (!(connector instanceof ServerConnector)) {
        System.err.println("DynamoDB Local uses a connector this launcher cannot bind to " + host + " ("
            + connector.getClass().getName() + "); refusing to listen on every interface");
        System.exit(1);
      }
      ((ServerConnector) connector).setHost(host);
    }
    proxy.start();
    System.out.println("DynamoDB Local listening on " + host);
  }
}
