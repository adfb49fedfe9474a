package machine.testing;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import kmd.api.KernelModeDriver;

/**
 * A driver that fails whenever it is called with VidMm's bookkeeping locked: every DDI of a watched
 * context first reads VidMm's state ({@code read}, which takes every adapter's bookkeeping lock)
 * from another thread and records a violation if that read does not return within two seconds
 * (the caller waiting for the DDI would then be holding the lock). The call itself then goes on.
 */
final class LockProbe implements AutoCloseable {
    private static final long PROBE_MILLIS = 2000;

    private final Runnable read;
    private final ExecutorService prober = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "lock-probe");
        t.setDaemon(true);
        return t;
    });
    private final List<String> violations = new CopyOnWriteArrayList<>();

    LockProbe(Runnable read) {
        this.read = read;
    }

    /** {@code context} as VidMm is to call it: each DDI probes first. */
    KernelModeDriver watch(KernelModeDriver context) {
        return (KernelModeDriver) Proxy.newProxyInstance(KernelModeDriver.class.getClassLoader(),
                new Class<?>[] {KernelModeDriver.class}, (proxy, method, args) -> {
                    if (method.getDeclaringClass() != Object.class) {
                        probe(method.getName());
                    }
                    try {
                        return method.invoke(context, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    private void probe(String ddi) {
        Future<?> reading = prober.submit(read);
        try {
            reading.get(PROBE_MILLIS, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            violations.add(ddi + " (a read of VidMm's state waited " + PROBE_MILLIS + " ms)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // a hung-driver test interrupts the abandoned DDI thread
        } catch (java.util.concurrent.ExecutionException e) {
            // the read failed, not the lock: not this probe's concern
        }
    }

    List<String> violations() {
        return List.copyOf(violations);
    }

    @Override
    public void close() {
        prober.shutdownNow();
    }
}
