/** Implementation of the AMD-Vi architecture bundle; private. */
package iommu.hw.amdvi.internal;
