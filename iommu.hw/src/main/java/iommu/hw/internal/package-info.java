/** Implementation of the IOMMU hardware bundle; private. */
package iommu.hw.internal;
