import com.amazonaws.services.dynamodbv2.local.main.ServerRunner;
import com.amazonaws.services.dynamodbv2.local.server.DynamoDBProxyServer;
import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * Starts DynamoDB Local bound to 127.0.0.1 only. DynamoDB Local has no bind-address option and
 * listens on every interface; this machine's rule is loopback only, so the launcher reaches the
 * Jetty connector before start and sets its host. Prints "listening <port>" once ready.
 * It also exits when the process that started it is gone, so a crashed parent never leaves a
 * Java listener behind.
 */
public final class DynamoDbLocalLauncher {
  public static void main(String[] args) throws Exception {
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server server = (Server) field.get(proxy);
    for (Connector connector : server.getConnectors()) {
      if (connector instanceof ServerConnector) {
        ((ServerConnector) connector).setHost("127.0.0.1");
      }
    }
    proxy.start();
    ProcessHandle parent = ProcessHandle.current().parent().orElse(null);
    if (parent != null) {
      Thread watchdog = new Thread(() -> {
        while (parent.isAlive()) {
          try { Thread.sleep(1000); } catch (InterruptedException e) { return; }
        }
        Runtime.getRuntime().halt(0);
      }, "parent-watchdog");
      watchdog.setDaemon(true);
      watchdog.start();
    }
    System.out.println("listening " + ((ServerConnector) server.getConnectors()[0]).getLocalPort());
    System.out.flush();
    proxy.join();
  }
}
