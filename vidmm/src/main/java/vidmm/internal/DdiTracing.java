package vidmm.internal;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Supplier;

import kmd.api.KernelModeDriver;
import vidmm.VidMmEvents;

/**
 * How VidMm sees an attached driver context: a proxy that runs every DDI call through the context's
 * {@link DdiGuard} (TdrDdiDelay) and times it, posting it as a {@link VidMmEvents#DDI_CALL} event.
 * The driver's exceptions pass through unchanged.
 */
final class DdiTracing {
    /** Each DDI method's WDDM name, made once rather than at every call. */
    private static final Map<Method, String> DDI_NAMES = new HashMap<>();

    static {
        for (Method m : KernelModeDriver.class.getMethods()) {
            DDI_NAMES.put(m, ddiName(m.getName()));
        }
    }

    private DdiTracing() {
    }

    /** {@code post} builds the event's properties only when there is someone to post to. */
    static KernelModeDriver wrap(KernelModeDriver driver, String name, DdiGuard guard,
                                 BiConsumer<String, Supplier<Map<String, Object>>> post) {
        return (KernelModeDriver) Proxy.newProxyInstance(KernelModeDriver.class.getClassLoader(),
                new Class<?>[] {KernelModeDriver.class}, (proxy, method, args) -> {
                    if (method.getDeclaringClass() == Object.class) {
                        return method.invoke(driver, args);
                    }
                    String ddi = DDI_NAMES.get(method);
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
                        long duration = System.nanoTime() - start;
                        post.accept(VidMmEvents.DDI_CALL, () -> VidMmEventProperties.ddi(name, ddi, start, duration));
                    }
                });
    }

    /** {@code submitCommand} -> {@code DxgkDdiSubmitCommand}. */
    static String ddiName(String method) {
        return "DxgkDdi" + method.substring(0, 1).toUpperCase(Locale.ROOT) + method.substring(1);
    }
}
