package kmd.conformance.internal;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import kmd.api.KernelModeDriver;

/**
 * Every call the kit makes into the driver, on a thread of its own and given up after a while (as
 * VidMm's TdrDdiDelay gives a DDI up): a driver that never returns fails the check it hung in, names
 * the DDI, and is not called again in that session; the run goes on with the next check. The hung
 * thread is a daemon and is left behind.
 */
final class DdiTimeout {
    private final long millis;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "conformance-ddi");
        t.setDaemon(true);
        return t;
    });
    private volatile String hung;

    DdiTimeout(long millis) {
        this.millis = millis;
    }

    /** The DDI that never returned, or null. */
    String hung() {
        return hung;
    }

    /** Runs {@code call}; throws its RuntimeException, or fails the check naming {@code ddi} if it does not return in time. */
    <T> T call(String ddi, Callable<T> call) {
        if (hung != null) {
            throw new CheckFailed(hung + " never returned; the driver is not called again in this check");
        }
        Future<T> f = threads.submit(call);
        try {
            return f.get(millis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            hung = ddi;
            throw new CheckFailed(ddi + " did not return within " + millis + " ms");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CheckFailed("interrupted while " + ddi + " ran");
        }
    }

    /** {@code kmd} as the kit calls it: each DDI through {@link #call}. */
    KernelModeDriver guard(KernelModeDriver kmd) {
        return (KernelModeDriver) Proxy.newProxyInstance(KernelModeDriver.class.getClassLoader(),
                new Class<?>[] {KernelModeDriver.class}, (proxy, method, args) -> {
                    if (method.getDeclaringClass() == Object.class) {
                        return method.invoke(kmd, args);
                    }
                    return call("DxgkDdi" + Character.toUpperCase(method.getName().charAt(0)) + method.getName().substring(1),
                            () -> {
                                try {
                                    return method.invoke(kmd, args);
                                } catch (InvocationTargetException e) {
                                    if (e.getCause() instanceof RuntimeException r) {
                                        throw r;
                                    }
                                    throw e;
                                }
                            });
                });
    }

    void close() {
        threads.shutdownNow();
    }
}
