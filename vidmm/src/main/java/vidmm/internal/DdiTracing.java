package vidmm.internal;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiConsumer;

import kmd.api.KernelModeDriver;
import vidmm.VidMmEvents;

/** Times every DDI call into a driver and posts it as a {@link VidMmEvents#DDI_CALL} event. */
final class DdiTracing {
    private DdiTracing() {
    }

    /** The driver, seen through a proxy that times each call; its exceptions pass through unchanged. */
    static KernelModeDriver wrap(KernelModeDriver driver, String name, BiConsumer<String, Map<String, Object>> post) {
        return (KernelModeDriver) Proxy.newProxyInstance(KernelModeDriver.class.getClassLoader(),
                new Class<?>[] {KernelModeDriver.class}, (proxy, method, args) -> {
                    if (method.getDeclaringClass() == Object.class) {
                        return method.invoke(driver, args);
                    }
                    long start = System.nanoTime();
                    try {
                        return method.invoke(driver, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    } finally {
                        post.accept(VidMmEvents.DDI_CALL, VidMmEventProperties.ddi(name, ddiName(method.getName()), start,
                                System.nanoTime() - start));
                    }
                });
    }

    /** {@code submitCommand} -> {@code DxgkDdiSubmitCommand}. */
    static String ddiName(String method) {
        return "DxgkDdi" + method.substring(0, 1).toUpperCase(Locale.ROOT) + method.substring(1);
    }
}
