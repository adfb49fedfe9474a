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
}
