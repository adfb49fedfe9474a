package kmd.conformance.internal;

import kmd.api.VidMmCaps;
import kmd.reference.internal.ReferenceKmd;
import umd.reference.internal.ReferenceUmd;
import vidmm.internal.VidMmThunks;
import vidmm.internal.VideoMemoryManager;

/** {@link Machine} with the kernel a UMD runs on: VidMm with the reference KMD, the thunks, and the reference UMD. */
final class UmdMachine implements AutoCloseable {
    final Machine m = new Machine();
    final VideoMemoryManager vidmm = new VideoMemoryManager(new ReferenceKmd(m.gpu,
            new VidMmCaps(true, true, false, false, false), 64L << 20), m.mm, 1L << 30);
    final VidMmThunks thunks = new VidMmThunks(vidmm, m.mm);
    final ReferenceUmd umd = new ReferenceUmd(thunks);

    UmdMachine() {
        m.mm.addProcessListener(vidmm);
    }

    @Override
    public void close() {
        vidmm.stop();
        m.close();
    }
}
