package vidmm.internal;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiConsumer;

import kmd.api.KernelModeDriver;
import vidmm.VidMmEvents;

/**
 * How VidMm sees an attached driver context: a proxy that runs every DDI call through the context's
 * {@link DdiGuard} (TdrDdiDelay) and times it, posting it as a {@link VidMmEvents#DDI_CALL} event.
 * The driver's exceptions pass through unchanged.
 */
final class DdiTracing {
    private DdiTracing() {
    }

    static KernelModeDriver wrap(KernelModeDriver driver, String name, DdiGuard guard,
                                 BiConsumer<String, Map<String, Object>> post) {
        return (KernelModeDriver) Proxy.newProxyInstance(KernelModeDriver.class.getClassLoader(),
                new Class<?>[] {KernelModeDriver.class}, (proxy, method, args) -> {
                    if (method.getDeclaringClass() == Object.class) {
                        return method.invoke(driver, args);
                    }
                    String ddi = ddiName(method.getName());
                    long start = System.nanoTime();
                    try {
                        return guard.call(ddi, () -> {
                            try {
                                return method.invoke(driver, args);
                            } catch (InvocationTargetException e) {
                                throw e.getCause();
                            }
                        });
                    } finally {
                        post.accept(VidMmEvents.DDI_CALL, VidMmEventProperties.ddi(name, ddi, start,
                                System.nanoTime() - start));
                    }
                });
    }

    /** {@code submitCommand} -> {@code DxgkDdiSubmitCommand}. */
    static String ddiName(String method) {
        return "DxgkDdi" + method.substring(0, 1).toUpperCase(Locale.ROOT) + method.substring(1);
    }
}
