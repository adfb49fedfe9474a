/** Implementation of the simulated GPU; private. */
package gpu.hw.internal;
