package gpu.hw.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The adapter's PCI identity. The attribute names ({@code pci.vendor}, ...) are also the service
 * properties drivers target, so a configured identity is what drivers see.
 */
@ObjectClassDefinition(name = "GPU adapter", description = "The simulated GPU's PCI identity.")
public @interface GpuConfig {
    String PID = "gpu.hw.Adapter";

    @AttributeDefinition(name = "PCI vendor id", min = "0", max = "65535")
    int pci_vendor() default 0x1234;

    @AttributeDefinition(name = "PCI device id", min = "0", max = "65535")
    int pci_device() default 0x1111;

    @AttributeDefinition(name = "PCI revision", min = "0", max = "255")
    int pci_revision() default 2;

    @AttributeDefinition(name = "Aperture (MiB)", min = "1", max = "4096")
    int apertureMiB() default 256;

    @AttributeDefinition(name = "Video present sources", min = "1", max = "4")
    int displaySources() default 2;

    @AttributeDefinition(name = "Display width (pixels)", min = "1", max = "8192")
    int displayWidth() default 320;

    @AttributeDefinition(name = "Display height (pixels)", min = "1", max = "8192")
    int displayHeight() default 240;
}
