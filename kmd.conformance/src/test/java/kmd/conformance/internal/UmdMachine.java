package kmd.conformance.internal;

import gpu.hw.internal.SimulatedGpu;
import machine.testing.TestMachine;
import os.memmgr.internal.WindowsMemoryManager;
import umd.reference.internal.ReferenceUmd;
import vidmm.internal.VidMmThunks;
import vidmm.internal.VideoMemoryManager;

/** The kernel a UMD runs on (machine.testing.TestMachine): VidMm with the reference KMD, the thunks, and the reference UMD. */
final class UmdMachine implements AutoCloseable {
    final TestMachine machine = TestMachine.builder().build();
    final SimulatedGpu gpu = machine.gpu();
    final WindowsMemoryManager mm = machine.os();
    final VideoMemoryManager vidmm = machine.vidmm();
    final VidMmThunks thunks = machine.thunks();
    final ReferenceUmd umd = new ReferenceUmd(thunks);

    @Override
    public void close() {
        machine.close();
    }
}
