package os.memmgr.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import os.memmgr.AddressSpace;
import os.memmgr.MemoryException;
import os.memmgr.PageCounts;
import os.memmgr.PageProtection;
import os.memmgr.PinnedPages;
import os.memmgr.ProcessInfo;
import os.memmgr.Status;

/** {@link AddressSpace#pages}: what the page table holds, page by page, against what the OS counts itself. */
class PageCountsTest {
    static final int PAGE = 4096;

    @TempDir
    Path dir;
    Machine m;

    @AfterEach
    void stop() {
        if (m != null) {
            m.shutdown();
        }
    }

    @Test
    void countsResidentPagedOutUntouchedPinnedAndLargePages() {
        m = Machine.withPagefile(64L << 20, dir, 64);
        int pid = m.mm.spawn("a");
        AddressSpace as = m.mm.addressSpace(pid);
        long touched = as.allocate(16 * PAGE, PageProtection.READWRITE);
        as.write(touched, new byte[16 * PAGE]);
        long sparse = as.allocate(16 * PAGE, PageProtection.READWRITE);
        as.write(sparse + 3 * PAGE, new byte[] {1});
        as.write(sparse + 9 * PAGE, new byte[] {1});
        long large = as.allocateLarge(2 << 20, PageProtection.READWRITE);

        assertEquals(new PageCounts(2, 0, 14, 0, 0), as.pages(sparse, 16 * PAGE));
        assertEquals(new PageCounts(512, 0, 0, 0, 512), as.pages(large, 2 << 20));
        assertEquals(new PageCounts(1, 0, 0, 0, 1), as.pages(large + 5 * PAGE + 7, 1), "a byte's page");

        assertEquals(18, m.mm.trim(pid, 100));
        PageCounts afterTrim = as.pages(touched, 16 * PAGE);
        assertEquals(new PageCounts(0, 16, 0, 0, 0), afterTrim);
        ProcessInfo info = m.mm.processes().stream().filter(p -> p.pid() == pid).findFirst().orElseThrow();
        PageCounts whole = as.pages(AddressSpace.USER_MIN, AddressSpace.USER_MAX - AddressSpace.USER_MIN);
        assertEquals(info.residentPages(), whole.resident(), "the whole space's resident pages, as the OS counts them");
        assertEquals(info.pagedOutPages(), whole.pagedOut());

        PinnedPages pin = as.pin(touched + 2 * PAGE, 2 * PAGE, false);
        assertEquals(new PageCounts(2, 14, 0, 2, 0), as.pages(touched, 16 * PAGE), "pinning brought two pages back in");
        as.unpin(pin.handle());
        assertEquals(0, as.pages(touched, 16 * PAGE).pinned());
    }

    @Test
    void aRangeOutsideUserSpaceIsRefused() {
        m = new Machine();
        AddressSpace as = m.mm.addressSpace(m.mm.spawn("a"));
        for (long[] bad : new long[][] {{0, PAGE}, {AddressSpace.USER_MIN, 0}, {AddressSpace.USER_MAX - PAGE, 2 * PAGE},
                {AddressSpace.USER_MIN, Long.MAX_VALUE}}) {
            MemoryException e = assertThrows(MemoryException.class, () -> as.pages(bad[0], bad[1]));
            assertEquals(Status.INVALID_PARAMETER, e.status());
        }
    }
}
