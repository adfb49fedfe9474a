package itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Dictionary;
import java.util.Hashtable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.apache.felix.service.command.CommandProcessor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;
import org.osgi.test.junit5.context.BundleContextExtension;
import org.osgi.test.junit5.service.ServiceExtension;

import kmd.api.DisplayDriver;
import os.memmgr.MemoryManager;
import os.memmgr.ProcessInfo;

/**
 * A fault-injecting driver takes adapter 1 and misbehaves: a submission that never completes is a
 * timeout (TdrDelay), a DDI that never returns hangs the driver (TdrDdiDelay) and the reference driver
 * takes over; false page faults and interrupts for unknown work are handled; the shell and adapter 0
 * stay responsive throughout.
 */
@ExtendWith(BundleContextExtension.class)
@ExtendWith(ServiceExtension.class)
class FaultInjectionTest {
    static final long TDR_MILLIS = 300;
    static final long DDI_MILLIS = 400;

    @InjectBundleContext
    BundleContext context;
    @InjectService
    CommandProcessor processor;
    @InjectService
    ConfigurationAdmin admin;
    @org.junit.jupiter.api.io.TempDir
    java.nio.file.Path dir;
    Shell shell;
    Configuration vidmmConfig;
    FaultyDriver faulty;
    ServiceRegistration<DisplayDriver> registration;

    @BeforeEach
    void open() throws Exception {
        shell = new Shell(processor);
        vidmmConfig = admin.getConfiguration("vidmm", "?");
        Dictionary<String, Object> props = new Hashtable<>();
        props.put("tdrDelayMillis", TDR_MILLIS);
        props.put("tdrDdiDelayMillis", DDI_MILLIS);
        vidmmConfig.update(props); // VidMm restarts with these delays, asynchronously: wait for that one
        awaitVidMm(true);
        shell.awaitOutput("kmd:list", "(?s).*\\n1\\s+\\d+\\s+reference\\s+2\\s+\\d+\\s+attached.*");
        faulty = new FaultyDriver();
        Dictionary<String, Object> service = new Hashtable<>();
        service.put(DisplayDriver.NAME, "faulty");
        registration = context.registerService(DisplayDriver.class, faulty, service);
        shell.awaitOutput("kmd:list", "(?s).*\\n1\\s+\\d+\\s+faulty\\s+9\\s+\\d+\\s+attached.*");
    }

    @AfterEach
    void close() throws Exception {
        faulty.release.countDown();
        registration.unregister();
        vidmmConfig.delete();
        awaitVidMm(false); // back on its defaults before the next test changes them again
        shell.awaitOutput("kmd:list", "(?s).*\\n1\\s+\\d+\\s+reference\\s+2\\s+\\d+\\s+attached.*");
        shell.close();
        MemoryManager mm = Shell.await(context, MemoryManager.class);
        for (ProcessInfo p : mm.processes()) {
            mm.kill(p.pid());
        }
    }

    /** Waits until VidMm runs with the test's TDR delays ({@code configured}) or without them. */
    void awaitVidMm(boolean configured) throws Exception {
        String filter = "(tdrDdiDelayMillis=" + DDI_MILLIS + ")";
        long deadline = System.currentTimeMillis() + 5000;
        while (context.getServiceReferences(vidmm.VidMm.class, configured ? filter : "(!" + filter + ")").isEmpty()
                || (!configured && !context.getServiceReferences(vidmm.VidMm.class, filter).isEmpty())) {
            assertTrue(System.currentTimeMillis() < deadline, "VidMm restarted " + (configured ? "with" : "without")
                    + " the test's TDR delays");
            Thread.sleep(20);
        }
    }

    /** A device on adapter 1 with one 64 KiB allocation; returns {device, VA}. */
    String[] deviceOnAdapter1() throws Exception {
        String pid = Shell.group("pid (\\d+)", shell.run("mm:spawn victim"));
        String device = Shell.group("device (0x\\w+)", shell.run("vidmm:device " + pid + " 1"));
        String alloc = shell.run("vidmm:alloc " + device + " 64K");
        shell.run("vidmm:resident " + device + " " + Shell.group("allocation (0x\\w+)", alloc)); // the GPU touches only resident memory
        return new String[] {device, Shell.group("at VA (0x\\w+)", alloc)};
    }

    /** The shell answers, and adapter 0 works, while adapter 1's driver misbehaves. */
    void assertResponsive() throws Exception {
        long start = System.nanoTime();
        try (Shell other = new Shell(processor)) { // another session, as a second user at the shell
            assertTrue(other.run("gpu:list").contains("PCI 1234:1111"));
            java.nio.file.Path png = dir.resolve("gradient.png");
            assertTrue(other.run("scenario:run gradient out=" + png).contains("0 faults"), "adapter 0 works");
        }
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5), "answered promptly");
    }

    @Test
    void aSubmissionThatNeverCompletesIsATimeoutWithinTdrDelay() throws Exception {
        String[] d = deviceOnAdapter1();
        faulty.neverComplete = true;
        long start = System.nanoTime();
        CompletableFuture<String> submit = CompletableFuture.supplyAsync(() -> run("vidmm:submit " + d[0] + " \"fill " + d[1] + " 16\""));
        assertResponsive();
        String out = submit.get(10, TimeUnit.SECONDS);
        long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(out.contains("device faulted and is in error"), out);
        assertTrue(took < TDR_MILLIS * 10, "recovered in " + took + " ms");
        assertTrue(shell.run("vidmm:faults").matches("(?s).*TIMEOUT: fence 1 of context 0x\\w+ made no progress for " + TDR_MILLIS + " ms.*"),
                shell.run("vidmm:faults"));
    }

    @Test
    void aDdiThatNeverReturnsHangsTheDriverAndTheReferenceDriverTakesOver() throws Exception {
        String[] d = deviceOnAdapter1();
        faulty.blockIn = "createAllocation";
        long start = System.nanoTime();
        CompletableFuture<String> alloc = CompletableFuture.supplyAsync(() -> run("vidmm:alloc " + d[0] + " 4096"));
        assertResponsive();
        java.util.concurrent.ExecutionException e = assertThrows(java.util.concurrent.ExecutionException.class,
                () -> alloc.get(10, TimeUnit.SECONDS));
        long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(e.getCause().getMessage().contains("DRIVER_HUNG: faulty did not return from DxgkDdiCreateAllocation"),
                e.getCause().getMessage());
        assertTrue(took < DDI_MILLIS * 10, "the caller stopped waiting after " + took + " ms");
        String list = shell.awaitOutput("kmd:list", "(?s).*\\n1\\s+\\d+\\s+reference\\s+2\\s+\\d+\\s+attached.*");
        assertTrue(list.matches("(?s).*faulty\\s+9\\s+\\d+\\s+refused: hung in DxgkDdiCreateAllocation.*"), list);
        assertTrue(shell.run("vidmm:submit " + d[0] + " \"fill " + d[1] + " 16\"").contains("completed"),
                "the device was replayed to the reference driver and works");
    }

    @Test
    void falsePageFaultsAndInterruptsForUnknownWorkAreHandled() throws Exception {
        String[] d = deviceOnAdapter1();
        faulty.completionOfUnknownDevice();
        assertTrue(shell.run("vidmm:submit " + d[0] + " \"fill " + d[1] + " 16\"").contains("fence 1 completed"));
        faulty.completionOfUnknownFence(faulty.context.newestContext());
        assertEquals("no GPU faults", shell.run("vidmm:faults"));
        assertTrue(shell.run("vidmm:contexts").matches("(?s).*RENDER +0 +1 +1 +ACTIVE.*"),
                "an interrupt for a fence never submitted did not complete anything: " + shell.run("vidmm:contexts"));
        assertTrue(shell.run("vidmm:submit " + d[0] + " \"fill " + d[1] + " 16\"").contains("fence 2 completed"));
        String allocations = shell.run("vidmm:allocations");

        int pasid = Integer.parseInt(Shell.group("(?m)^\\d+\\s+1\\s+1\\s+(\\d+)", shell.run("vidmm:processes")));
        faulty.pageFault(faulty.context.newestContext(), 1, Long.decode(d[1]), pasid);
        String faults = shell.awaitOutput("vidmm:faults", "(?s).*NOT_PRESENT.*engine reset.*");
        assertTrue(faults.contains("device " + d[0]), faults);
        Exception e = assertThrows(Exception.class, () -> shell.run("vidmm:submit " + d[0] + " \"fill " + d[1] + " 16\""));
        assertTrue(e.getMessage().startsWith("DEVICE_IN_ERROR"), e.getMessage());
        assertEquals(allocations, shell.run("vidmm:allocations"), "the fault freed nothing");
        assertResponsive();
    }

    @Test
    void aDdiThatThrowsIsRefusedWithOneLineAndChangesNothing() throws Exception {
        String[] d = deviceOnAdapter1();
        String allocations = shell.run("vidmm:allocations");
        faulty.throwIn.set(1);
        Exception e = assertThrows(Exception.class, () -> shell.run("vidmm:alloc " + d[0] + " 4096"));
        assertTrue(e.getMessage().startsWith("DRIVER_REFUSED: DxgkDdiCreateAllocation failed: injected failure"),
                e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), "one line");
        assertEquals(allocations, shell.run("vidmm:allocations"));
    }

    private String run(String line) {
        try {
            return shell.run(line);
        } catch (Exception e) {
            throw new java.util.concurrent.CompletionException(e);
        }
    }
}
