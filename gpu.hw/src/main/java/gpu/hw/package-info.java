/**
 * The simulated GPU's hardware interface, as a kernel-mode driver programs it: the adapter's PCI
 * identity, engines that execute command buffers, interrupts, and engine reset.
 *
 * <p>Every memory access an engine makes is a (PASID, virtual address) request through the IOMMU;
 * the GPU has no other path to memory.
 */
@Version("1.3.0")
@Export
package gpu.hw;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
