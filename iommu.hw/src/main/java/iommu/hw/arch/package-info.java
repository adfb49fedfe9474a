/**
 * How an IOMMU architecture plugs into the neutral unit. The unit (one per configuration
 * {@code iommu.hw.Iommu~N}) translates through its IOTLB and the x86-64 page table the CPU uses, runs
 * DMA and ATS ports and keeps the fault log; how it finds a request's page table, what its registers
 * are and how software talks to it through queues in memory is its architecture's: an
 * {@link iommu.hw.arch.Architecture} service of an architecture bundle (VT-d, AMD-Vi), chosen by the
 * configuration's {@code arch}.
 */
@Version("1.0.0")
@Export
package iommu.hw.arch;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
