/**
 * Simulated IOMMU hardware: system memory, the x86-64 page-table entry format shared by the CPU
 * and the IOMMU, PASID-tagged translation through an IOTLB, fault records and page requests.
 *
 * <p>This package knows nothing of an operating system. The OS side builds page tables in
 * {@link iommu.hw.SystemMemory} in the format of {@link iommu.hw.Pte}, binds their roots to PASIDs by
 * writing the unit's tables in memory and invalidates through its queue (an
 * {@link iommu.hw.driver.IommuDriver} of the unit's architecture), and answers page requests with a
 * {@link iommu.hw.PageRequestHandler}.
 */
@Version("3.0.0")
@Export
package iommu.hw;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
