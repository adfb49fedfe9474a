package itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventConstants;
import org.osgi.service.event.EventHandler;

import iommu.hw.IommuEvents;
import os.memmgr.MemoryEvents;
import vidmm.VidMmEvents;

/** The model's events, seen by an Event Admin handler as any bundle would see them. */
class EventTest extends ShellTestBase {
    @TempDir
    Path dir;
    final List<Event> seen = new CopyOnWriteArrayList<>();
    ServiceRegistration<EventHandler> handler;

    @BeforeEach
    void subscribe() {
        Dictionary<String, Object> props = new Hashtable<>();
        props.put(EventConstants.EVENT_TOPIC, new String[] {"iommu/*", "os/*", "vidmm/*", "display/*"});
        handler = context.registerService(EventHandler.class, seen::add, props);
    }

    @AfterEach
    void unsubscribe() throws Exception {
        handler.unregister();
        Shell.bundle(context, "kmd.reference").start();
    }

    /** Waits up to 5 s for an event of {@code topic} whose properties match; returns it. */
    Event await(String topic, Predicate<Event> match) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 5000;
        while (System.currentTimeMillis() < deadline) {
            for (Event e : seen) {
                if (e.getTopic().equals(topic) && match.test(e)) {
                    return e;
                }
            }
            Thread.sleep(10);
        }
        throw new AssertionError("no " + topic + " event matched; seen: " + seen.stream()
                .map(e -> e.getTopic() + propertiesOf(e)).toList());
    }

    static Map<String, Object> propertiesOf(Event e) {
        Map<String, Object> m = new java.util.TreeMap<>();
        for (String name : e.getPropertyNames()) {
            m.put(name, e.getProperty(name));
        }
        return m;
    }

    static Predicate<Event> has(String key, Object value) {
        return e -> value.equals(e.getProperty(key));
    }

    @Test
    void aScenarioPostsItsProcessAndItsPresent() throws Exception {
        run("scenario:run gradient out=" + dir.resolve("g.png"));
        Event created = await(MemoryEvents.PROCESS_CREATED, has(MemoryEvents.NAME, "gradient"));
        Object pid = created.getProperty(MemoryEvents.PID);
        Event present = await(VidMmEvents.PRESENT, has(VidMmEvents.PID, pid));
        assertEquals(0, present.getProperty(VidMmEvents.SOURCE));
        assertEquals(0, present.getProperty(VidMmEvents.ADAPTER));
        await(MemoryEvents.PROCESS_EXITED, has(MemoryEvents.PID, pid));
    }

    @Test
    void aGpuFaultPostsTheIommuFaultTheVidMmFaultAndTheEngineReset() throws Exception {
        String pid = group("pid (\\d+)", run("mm:spawn faulty"));
        String device = group("device (0x\\w+)", run("vidmm:device " + pid));
        String va = group("at VA (0x\\w+)", residentAlloc(device, "4096"));
        run("mm:protect " + pid + " " + va + " 4096 r");
        run("vidmm:submit " + device + " \"fill " + va + " 16 0xffffffff\"");
        int p = Integer.parseInt(pid);
        Event fault = await(VidMmEvents.GPU_FAULT, has(VidMmEvents.PID, p));
        assertEquals("WRITE_PROTECTED", fault.getProperty(VidMmEvents.REASON));
        assertEquals(Long.decode(va), fault.getProperty(VidMmEvents.VA));
        Object pasid = fault.getProperty(VidMmEvents.PASID);
        await(IommuEvents.FAULT, has(IommuEvents.PASID, pasid).and(has(IommuEvents.REASON, "WRITE_PROTECTED")));
        Event reset = await(VidMmEvents.ENGINE_RESET, has(VidMmEvents.PID, p));
        assertEquals("engine reset", reset.getProperty(VidMmEvents.OUTCOME));
    }

    @Test
    void aDriverSwapPostsDetachedAndAttached() throws Exception {
        Shell.bundle(context, "kmd.reference").stop();
        await(VidMmEvents.DRIVER_DETACHED, has(VidMmEvents.DRIVER, "reference"));
        await(VidMmEvents.DRIVER_ATTACHED, has(VidMmEvents.DRIVER, "contoso"));
        Shell.bundle(context, "kmd.reference").start();
        await(VidMmEvents.DRIVER_ATTACHED, has(VidMmEvents.DRIVER, "reference"));
    }

    @Test
    void pagingPostsPageOutInvalidationAndPageRequest() throws Exception {
        run("config:set os.memmgr.GpuFaults policy=sva"); // page requests are the sva policy's
        try {
            pagesOutAndInThroughPageRequests();
        } finally {
            run("config:set os.memmgr.GpuFaults policy=windows"); // returns once applied
            run("config:delete os.memmgr.GpuFaults");
        }
    }

    private void pagesOutAndInThroughPageRequests() throws Exception {
        String pid = group("pid (\\d+)", run("mm:spawn pager"));
        String va = run("mm:alloc " + pid + " 8192");
        run("mm:write " + pid + " " + va + " paged");
        String pasid = group("PASID (\\d+)", run("iommu:bind " + pid));
        run("mm:trim " + pid);
        int p = Integer.parseInt(pid);
        int pa = Integer.parseInt(pasid);
        Event out = await(MemoryEvents.PAGE_OUT, has(MemoryEvents.PID, p));
        assertEquals(1L, out.getProperty(MemoryEvents.PAGES));
        assertEquals("0:" + pa, out.getProperty(MemoryEvents.PASIDS), "the PASID travels with its unit");
        await(IommuEvents.INVALIDATION, has(IommuEvents.PASID, pa).and(has(IommuEvents.SCOPE, "range")));
        assertTrue(run("iommu:read " + pasid + " " + va + " 5").contains("|paged|"));
        await(IommuEvents.PAGE_REQUEST, has(IommuEvents.PASID, pa).and(has(IommuEvents.RESPONSE, "SUCCESS")));

        // a process bound on unit 1 only: its page-out names unit 1, not a "PASID of unit 0"
        String other = group("pid (\\d+)", run("mm:spawn pager1"));
        String va1 = run("mm:alloc " + other + " 8192");
        run("mm:write " + other + " " + va1 + " paged");
        String pasid1 = group("PASID (\\d+)", run("iommu:bind " + other + " 1"));
        run("mm:trim " + other);
        Event out1 = await(MemoryEvents.PAGE_OUT, has(MemoryEvents.PID, Integer.parseInt(other)));
        assertEquals("1:" + pasid1, out1.getProperty(MemoryEvents.PASIDS));
    }
}
