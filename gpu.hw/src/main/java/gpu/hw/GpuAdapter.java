package gpu.hw;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The GPU adapter as its driver programs it. Registered as a service with the properties
 * {@code pci.vendor}, {@code pci.device} and {@code pci.revision} (integers), so that a driver can
 * target the hardware it drives.
 *
 * <p>Thread safe. Each engine executes its submissions in order on its own thread.
 */
@ProviderType
public interface GpuAdapter {
    String PCI_VENDOR = "pci.vendor";
    String PCI_DEVICE = "pci.device";
    String PCI_REVISION = "pci.revision";

    PciIdentity identity();

    /**
     * Attaches the driver's interrupt sink, replacing any other.
     */
    void attach(InterruptSink sink);

    /** Detaches {@code sink} if it is the attached one; interrupts are then dropped. */
    void detach(InterruptSink sink);

    /**
     * Queues a submission on an engine and returns at once.
     *
     * @throws IllegalArgumentException naming the field, for a PASID outside 1..2^20-1, an empty
     *                                  command list, or a command with a negative size
     */
    void submit(EngineType engine, Submission submission);

    EngineStatus status(EngineType engine);

    /**
     * Resets an engine: queued submissions are dropped, a faulted engine becomes idle. Waits for the
     * command in execution to stop.
     *
     * @return the number of queued submissions dropped
     */
    int resetEngine(EngineType engine);

    /** Counters: submissions completed and faulted per engine, bytes moved. */
    GpuStats stats();
}
