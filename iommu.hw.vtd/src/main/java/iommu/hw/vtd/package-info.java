/**
 * The IOMMU's own data structures in memory, in Intel VT-d scalable mode's formats, and the driver
 * side that writes them: a root table and scalable-mode context entries indexed by each device's
 * requester id, pointing to a PASID directory and PASID tables whose entries point at the very PML4
 * the CPU uses (first-level translation, 4-level paging); and the invalidation queue, 256-bit
 * descriptors the unit reads from memory in order, ending with an invalidation wait whose status
 * write tells software every cache dropped what it asked.
 *
 * <p>The records here encode and decode the formats bit for bit ({@code encode()} gives the 64-bit
 * words in memory order, {@code decode} reads them back); {@link iommu.hw.vtd.VtdRegisters} is what
 * software programs in a unit, and {@link iommu.hw.vtd.VtdDriver} is what an operating system's IOMMU
 * driver does with both (the OS memory manager opens one per VT-d unit through the architecture's
 * {@link iommu.hw.driver.IommuDriverFactory}; tests and benchmarks use it directly).
 */
@Version("2.0.0")
@Export
package iommu.hw.vtd;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
