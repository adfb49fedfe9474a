package itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Dictionary;
import java.util.Hashtable;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;
import org.osgi.test.junit5.context.BundleContextExtension;
import org.osgi.test.junit5.service.ServiceExtension;

import iommu.hw.Iommu;
import iommu.hw.SystemMemory;
import os.memmgr.MemoryManager;

/** Stopping, starting and configuring the real bundles. */
@ExtendWith(BundleContextExtension.class)
@ExtendWith(ServiceExtension.class)
class LifecycleTest {
    @InjectBundleContext
    BundleContext context;
    @InjectService
    ConfigurationAdmin configAdmin;

    <T> T await(Class<T> type) throws InterruptedException {
        return Shell.await(context, type);
    }

    @Test
    void stoppingTheOsBundleUnbindsEveryPasidItBound() throws Exception {
        MemoryManager mm = await(MemoryManager.class);
        Iommu iommu = await(Iommu.class);
        int pid = mm.spawn("doomed");
        int pasid = mm.bindIommu(pid, 0);
        assertTrue(iommu.boundPasids().containsKey(pasid));
        Bundle osBundle = findBundle("os.memmgr");
        osBundle.stop();
        try {
            assertTrue(iommu.boundPasids().isEmpty(), "the OS unbinds its PASIDs when it goes");
        } finally {
            osBundle.start();
        }
        MemoryManager fresh = await(MemoryManager.class);
        assertTrue(fresh.processes().isEmpty());
    }

    @Test
    void stateSurvivesWhenNoServiceIsInUse() throws Exception {
        MemoryManager mm = await(MemoryManager.class);
        int pid = mm.spawn("kept");
        mm.addressSpace(pid).allocate(4096, os.memmgr.PageProtection.READWRITE);
        Thread.sleep(100);
        MemoryManager again = await(MemoryManager.class);
        try {
            assertEquals(1, again.processes().stream().filter(p -> p.pid() == pid).count(),
                    "the memory manager is immediate: it is not disposed between uses");
        } finally {
            again.kill(pid);
        }
    }

    @Test
    void memorySizeComesFromConfigurationAtTheNextStart() throws Exception {
        Bundle hw = findBundle("iommu.hw");
        Configuration config = configAdmin.getConfiguration("iommu.hw.SystemMemory", "?");
        try {
            Dictionary<String, Object> props = new Hashtable<>();
            props.put("sizeMiB", 512L);
            config.update(props);
            hw.stop();
            hw.start();
            assertEquals(512L << 20, awaitSize(512L << 20));

            props.put("sizeMiB", -5L);
            config.update(props);
            Thread.sleep(200);
            assertEquals(512L << 20, await(SystemMemory.class).size(), "a bad size at runtime changes nothing");
            hw.stop();
            hw.start();
            assertEquals(4096L << 20, awaitSize(4096L << 20), "a bad size at start falls back to the default");
        } finally {
            config.delete();
            hw.stop();
            hw.start();
            awaitSize(4096L << 20);
            await(MemoryManager.class);
        }
    }

    long awaitSize(long expected) throws InterruptedException {
        return Shell.awaitMemorySize(context, expected);
    }

    Bundle findBundle(String symbolicName) {
        return Shell.bundle(context, symbolicName);
    }
}
