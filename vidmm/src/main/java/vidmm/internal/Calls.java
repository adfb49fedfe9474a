package vidmm.internal;

import java.util.function.Supplier;

import os.memmgr.MemoryException;
import vidmm.VidMmException;
import vidmm.VidMmStatus;

/** How VidMm calls a driver and the OS: their errors become VidMm's, cleanups never throw. */
final class Calls {
    private Calls() {
    }

    /** Runs a driver call; a driver exception becomes DRIVER_REFUSED naming the DDI. */
    static <T> T ddi(String name, Supplier<T> call) {
        try {
            return call.get();
        } catch (VidMmException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new VidMmException(VidMmStatus.DRIVER_REFUSED, name + " failed: " + e.getMessage(), e);
        }
    }

    static void ddi(String name, Runnable call) {
        ddi(name, () -> {
            call.run();
            return null;
        });
    }

    /** Runs an OS call; a MemoryException becomes MEMORY_MANAGER_REFUSED with its message. */
    static <T> T os(Supplier<T> call) {
        try {
            return call.get();
        } catch (MemoryException e) {
            throw new VidMmException(VidMmStatus.MEMORY_MANAGER_REFUSED, e.getMessage(), e);
        }
    }

    static void quietly(Runnable cleanup) {
        try {
            cleanup.run();
        } catch (VidMmException e) {
            if (e.status() != VidMmStatus.DRIVER_HUNG) { // a hung driver is not called: nothing to report
                System.getLogger(Calls.class.getName()).log(System.Logger.Level.WARNING,
                        "cleanup failed: " + e.getMessage());
            }
        } catch (RuntimeException e) {
            System.getLogger(Calls.class.getName()).log(System.Logger.Level.WARNING, "cleanup failed", e);
        }
    }
}
