package gpu.hw;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A GPU adapter as its driver programs it. One service per adapter, with the properties
 * {@code adapter.index}, {@code pci.vendor}, {@code pci.device} and {@code pci.revision} (integers),
 * so that drivers can be matched to the hardware they drive.
 *
 * <p>Thread safe. Each engine executes its submissions in order on its own thread.
 */
@ProviderType
public interface GpuAdapter {
    String PCI_VENDOR = "pci.vendor";
    String PCI_DEVICE = "pci.device";
    String PCI_REVISION = "pci.revision";
    /** Service property: the adapter's index on the machine (an Integer), as the shell names it. */
    String INDEX = "adapter.index";

    PciIdentity identity();

    /** The adapter's index on the machine (0, 1, ...). */
    int index();

    /** The index of the IOMMU unit the adapter's DMA goes through (its first physical GPU's). */
    int iommuUnit();

    /**
     * How many physical GPUs the adapter has: 1, or 2 for a linked adapter (one driver context over two
     * GPUs). Engines are numbered GPU by GPU: GPU {@code g} has instances
     * {@code g * n .. g * n + n - 1} of a type, {@code n = engineCount(type) / physicalGpus()}.
     */
    default int physicalGpus() {
        return 1;
    }

    /** The IOMMU unit physical GPU {@code physicalGpu}'s DMA goes through. */
    default int iommuUnit(int physicalGpu) {
        if (physicalGpu != 0) {
            throw new IllegalArgumentException("physical GPU " + physicalGpu + " does not exist; the adapter has 1");
        }
        return iommuUnit();
    }

    /**
     * The PCI requester id physical GPU {@code physicalGpu}'s requests carry through its IOMMU unit (bus
     * in bits 15:8, device and function in 7:0): with the unit's index, what names the GPU when the
     * unit reports it (an invalidation time-out).
     */
    int requesterId(int physicalGpu);

    /** The attached interrupt sink's driver name, or null when no driver is attached. */
    String attachedDriver();

    /**
     * Attaches the driver's interrupt sink, replacing any other.
     */
    void attach(InterruptSink sink);

    /** Detaches {@code sink} if it is the attached one; interrupts are then dropped. */
    void detach(InterruptSink sink);

    /**
     * A function-level reset, as the OS does when it gives up a driver that no longer answers: the
     * attached interrupt sink is detached (the adapter names no driver until another attaches), every
     * engine's queue is dropped and its submission stopped, and the device TLBs are emptied. An engine
     * that cannot stop its submission at once stops it at its next chunk; the reset does not wait for it.
     */
    void resetFunction();

    /**
     * How far the engines of a type have got: a count of the chunks (64 KiB of a fill), copy steps
     * (1 MiB) and rows they executed, summed over their instances. It moves while they make progress,
     * also while their accesses wait for page requests the OS serves; a driver reads it to answer
     * DxgkDdiQueryEngineStatus.
     */
    long engineProgress(EngineType engine);

    /**
     * Queues a submission on an engine and returns at once.
     *
     * @throws IllegalArgumentException naming the field, for a PASID outside 1..2^20-1, an empty
     *                                  command list, or a command with a negative size
     */
    /**
     * Queues a command buffer in the submitting process's memory on an engine and returns at once:
     * the engine fetches and decodes it when it comes to it ({@link BufferSubmission}).
     *
     * @throws IllegalArgumentException naming the field, for a PASID outside 1..2^20-1 or a length
     *                                  outside 1..{@link BufferSubmission#MAX_BYTES}
     */
    void submitBuffer(EngineType engine, int instance, BufferSubmission submission);

    default void submit(EngineType engine, Submission submission) {
        submit(engine, 0, submission);
    }

    /**
     * Queues a submission on engine {@code instance} of a type (0 .. {@link #engineCount} - 1); each
     * engine executes its queue in order, engines in parallel.
     *
     * @throws IllegalArgumentException as {@link #submit(EngineType, Submission)}, or naming an
     *                                  instance that does not exist
     */
    void submit(EngineType engine, int instance, Submission submission);

    /** How many engines of a type the adapter has: one render engine, one or more copy engines. */
    int engineCount(EngineType engine);

    default EngineStatus status(EngineType engine) {
        return status(engine, 0);
    }

    EngineStatus status(EngineType engine, int instance);

    /**
     * Resets every engine of a type: queued submissions are dropped, a faulted engine becomes idle.
     * Waits for the commands in execution to stop.
     *
     * @return the number of queued submissions dropped
     */
    int resetEngine(EngineType engine);

    /** Counters: submissions completed and faulted per engine, bytes moved. */
    GpuStats stats();

    // ---- aperture segment (GART) ----

    ApertureInfo aperture();

    /**
     * Points aperture pages {@code firstPage ..} at system-memory {@code frames}.
     *
     * @throws IllegalArgumentException naming the page or frame, for a range outside the aperture or a
     *                                  frame outside system memory; nothing is mapped then
     */
    void mapAperture(long firstPage, long[] frames);

    /** Points aperture pages back at the dummy page. Same errors as {@link #mapAperture}. */
    void unmapAperture(long firstPage, long pages);

    /** The frame aperture page {@code page} points at (the dummy frame when unmapped). */
    long apertureFrame(long page);

    /** How many aperture pages point at a frame other than the dummy. */
    long apertureMappedPages();

    // ---- display controller ----

    /** The mode of each video present source, by source id. */
    java.util.List<DisplayMode> displayModes();

    /**
     * Programs a source to scan out the surface at aperture address {@code apertureAddress}, or no
     * surface when it is 0. The display reads by aperture (physical) address only, never a PASID.
     *
     * @throws IllegalArgumentException for an unknown source, or an address that is not 0 and not a
     *                                  page-aligned address inside the aperture
     */
    void setScanoutAddress(int source, long apertureAddress);

    /** The aperture address a source scans out, 0 for none. */
    long scanoutAddress(int source);

    /** Reads the source's current frame through the aperture. Errors are reported in the frame. */
    ScanoutFrame scanout(int source);

    /** The device TLB (ATS translation cache) of physical GPU {@code physicalGpu}: its entries and counts. */
    DeviceTlbStats deviceTlb(int physicalGpu);
}
