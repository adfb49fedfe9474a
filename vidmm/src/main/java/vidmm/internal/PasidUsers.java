package vidmm.internal;

import java.util.HashMap;
import java.util.Map;

import os.memmgr.MemoryManager;
import vidmm.VidMmException;
import vidmm.VidMmStatus;

/**
 * Who uses each process's PASID on each IOMMU unit, over every adapter behind that unit: the first
 * user binds it (if the OS had not bound it already), the last one unbinds what VidMm bound. The
 * unbind runs outside this object's monitor, so that one slow unbind (it waits for device-TLB
 * invalidations) does not stall every adapter's device creation; a new user of that PASID waits for
 * it to end.
 */
final class PasidUsers {
    /** One (process, unit) pair's users; guarded by the map's monitor. */
    private static final class Users {
        int count = 1;
        final int pasid;
        /** Whether VidMm bound it (and so unbinds it after its last user). */
        final boolean boundHere;
        /** Whether its last user is unbinding it now. */
        boolean unbinding;

        Users(int pasid, boolean boundHere) {
            this.pasid = pasid;
            this.boundHere = boundHere;
        }
    }

    private final MemoryManager mm;
    private final Map<Long, Users> users = new HashMap<>();

    PasidUsers(MemoryManager mm) {
        this.mm = mm;
    }

    /** The process's PASID on {@code unit}, bound on its first user. */
    int acquire(int pid, int unit) {
        long key = ((long) pid << 32) | unit;
        synchronized (users) {
            Users u;
            while ((u = users.get(key)) != null && u.unbinding) {
                try {
                    users.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new VidMmException(VidMmStatus.MEMORY_MANAGER_REFUSED, "interrupted while the PASID of process " + pid
                            + " on IOMMU unit " + unit + " was being unbound");
                }
            }
            if (u != null) {
                u.count++;
                return u.pasid;
            }
            boolean alreadyBound = mm.addressSpace(pid).pasids().containsKey(unit);
            int pasid = mm.bindIommu(pid, unit);
            users.put(key, new Users(pasid, !alreadyBound));
            return pasid;
        }
    }

    /** One user fewer; the last one unbinds the PASID if VidMm bound it. */
    void release(int pid, int unit) {
        long key = ((long) pid << 32) | unit;
        synchronized (users) {
            Users u = users.get(key);
            if (u == null || --u.count > 0) {
                return;
            }
            if (!u.boundHere) {
                users.remove(key); // bound by someone else: theirs to unbind
                return;
            }
            u.unbinding = true;
        }
        try {
            Calls.quietly(() -> mm.unbindIommu(pid, unit));
        } finally {
            synchronized (users) {
                users.remove(key);
                users.notifyAll();
            }
        }
    }
}
