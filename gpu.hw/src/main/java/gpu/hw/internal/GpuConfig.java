package gpu.hw.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * One adapter (a factory configuration per adapter: {@code gpu.hw.Adapter~0}, {@code ~1}, ...). The
 * attribute names ({@code pci.vendor}, {@code adapter.index}, ...) are also the adapter's service
 * properties, so a configured identity is what drivers see. {@code dma.target} picks the IOMMU unit
 * the adapter sits behind.
 */
@ObjectClassDefinition(name = "GPU adapter", description = "A simulated GPU: PCI identity, IOMMU unit, aperture, display sources.")
public @interface GpuConfig {
    String PID = "gpu.hw.Adapter";

    @AttributeDefinition(name = "Adapter index", min = "0", max = "15",
            description = "The adapter's index, as the shell and VidMm name it; unique per machine.")
    int adapter_index() default 0;

    @AttributeDefinition(name = "IOMMU unit", description = "Filter selecting the IOMMU unit the adapter sits behind.")
    String dma_target() default "(iommu.unit=0)";

    @AttributeDefinition(name = "Linked GPU's IOMMU unit", description = "Filter selecting the IOMMU unit of a second"
            + " physical GPU: set, the adapter is a linked adapter (two GPUs, one driver context); none by default.")
    String linked_target() default "(iommu.unit=-1)";

    @AttributeDefinition(name = "PCI vendor id", min = "0", max = "65535")
    int pci_vendor() default 0x1234;

    @AttributeDefinition(name = "PCI device id", min = "0", max = "65535")
    int pci_device() default 0x1111;

    @AttributeDefinition(name = "PCI revision", min = "0", max = "255")
    int pci_revision() default 2;

    @AttributeDefinition(name = "Aperture (MiB)", min = "1", max = "4096")
    int apertureMiB() default 256;

    @AttributeDefinition(name = "Copy engines", min = "1", max = "4",
            description = "Copy engines that run in parallel; a driver gives each device one of them.")
    int copyEngines() default 2;

    @AttributeDefinition(name = "ATS (device TLB)", description = "Each physical GPU caches translations in its own"
            + " device TLB and sends translated requests (PCIe ATS); off, the IOMMU translates every request.")
    boolean ats() default true;

    @AttributeDefinition(name = "Video present sources", min = "0", max = "4", description = "0 = a render-only adapter.")
    int displaySources() default 2;

    @AttributeDefinition(name = "Display width (pixels)", min = "1", max = "8192")
    int displayWidth() default 320;

    @AttributeDefinition(name = "Display height (pixels)", min = "1", max = "8192")
    int displayHeight() default 240;
}
