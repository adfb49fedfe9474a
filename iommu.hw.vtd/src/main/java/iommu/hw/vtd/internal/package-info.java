/** Implementation of the VT-d architecture bundle; private. */
package iommu.hw.vtd.internal;
