/**
 * The IOMMU's own data structures in memory in AMD-Vi's formats, and the driver side that writes them:
 * a device table indexed by DeviceID (a PCI requester id) whose entries enable guest translation (GV)
 * and point at a GCR3 table, whose entries, per PASID, point at the very PML4 the CPU uses (4-level
 * guest page tables); the command buffer (128-bit commands the unit reads in order, a COMPLETION_WAIT's
 * store telling software that everything before it completed), the event log (faults, illegal
 * commands, IOTLB invalidation time-outs) and the PPR log (page requests, answered with
 * COMPLETE_PPR_REQUEST).
 *
 * <p>The records here encode and decode the formats bit for bit ({@code encode()} gives the 64-bit
 * words in memory order); {@link iommu.hw.amdvi.AmdViRegisters} is what software programs in a unit,
 * and {@link iommu.hw.amdvi.AmdViDriver} is what an operating system's driver does with both, as Linux's
 * {@code drivers/iommu/amd} does (the OS memory manager opens one per AMD-Vi unit through the
 * architecture's {@link iommu.hw.driver.IommuDriverFactory}).
 */
@Version("1.0.0")
@Export
package iommu.hw.amdvi;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
