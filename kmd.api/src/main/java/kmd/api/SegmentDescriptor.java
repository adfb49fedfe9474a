package kmd.api;

/**
 * DXGK_SEGMENTDESCRIPTOR: one memory segment the driver exposes.
 *
 * @param id              segment id, from 1
 * @param name            a readable name
 * @param size            bytes
 * @param cpuVisible      whether the CPU can reach it
 * @param apertureSegment whether it is an aperture (GART) segment
 */
public record SegmentDescriptor(int id, String name, long size, boolean cpuVisible, boolean apertureSegment) {
}
