package gpu.hw;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Where the adapter delivers interrupts: the attached kernel-mode driver. Called on the engine's
 * thread; must return promptly and must not throw (an exception is logged and dropped).
 */
@ConsumerType
public interface InterruptSink {
    void interrupt(Interrupt interrupt);

    /** The driver's name, as {@code gpu:list} shows the attached driver. */
    default String driverName() {
        return getClass().getSimpleName();
    }
}
