package os.memmgr.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import iommu.hw.Iommu;
import iommu.hw.PageResponse;
import iommu.hw.RequesterId;
import iommu.hw.driver.IommuDriver;
import iommu.hw.driver.IommuDriverFactory;
import iommu.hw.driver.TableFrames;
import os.memmgr.MemoryException;
import os.memmgr.Status;

/**
 * The IOMMU units the memory manager registers address spaces with, each through its own
 * {@link IommuDriver}, opened by the driver factory of the unit's architecture (the tables the unit
 * reads, written in memory by the OS); a unit whose architecture has no driver yet waits for one, and
 * a unit whose driver goes away waits again, its address spaces unbound from it. Each unit has its own
 * PASID space: a process bound to two units may hold different PASIDs on each. A PASID's whole life is
 * here: allocated and its entry written ({@link Unit#bind}), its ranges invalidated, its entry cleared
 * and the unit's caches invalidated before it is free again ({@link Unit#unbind}); each unit's page
 * requests are resolved against that unit's PASIDs.
 */
final class IommuUnits {
    /** One unit: its driver, its PASID allocator and which address space each of its PASIDs names. */
    static final class Unit {
        final Iommu iommu;
        private final IommuDriver driver;
        private final PasidAllocator pasids;
        private final Map<Integer, ProcessAddressSpace> byPasid = new ConcurrentHashMap<>();
        private final iommu.hw.PageRequestHandler handler;

        Unit(Iommu iommu, IommuDriver driver) {
            this.iommu = iommu;
            this.driver = driver;
            this.pasids = new PasidAllocator(driver.maxPasid());
            this.handler = request -> {
                ProcessAddressSpace space = byPasid.get(request.pasid());
                return space == null ? PageResponse.FAILURE : space.resolve(request.va(), request.access());
            };
        }

        /** A PASID for {@code space}, its entry pointing at {@code root}; nothing changes if the entry cannot be written. */
        int bind(ProcessAddressSpace space, long root) {
            int pasid = pasids.allocate();
            try {
                driver.bind(pasid, root);
            } catch (RuntimeException e) {
                pasids.free(pasid);
                throw e;
            }
            byPasid.put(pasid, space);
            return pasid;
        }

        /** Clears the PASID's entry and waits until the unit dropped everything of it; then the PASID is free. */
        void unbind(int pasid) {
            driver.unbind(pasid);
            byPasid.remove(pasid);
            pasids.free(pasid);
        }

        /** Removes the unit's translations of {@code [va, va + bytes)} for {@code pasid}; returns when none can be used. */
        void invalidate(int pasid, long va, long bytes) {
            driver.invalidate(pasid, va, bytes);
        }
    }

    /** Told of each device that timed out a device-TLB invalidation: the unit's index and the device's requester id. */
    interface DeviceTimeouts {
        void timedOut(int unit, RequesterId device);
    }

    private static final System.Logger LOG = System.getLogger(IommuUnits.class.getName());
    private final Map<Integer, Unit> units = new ConcurrentHashMap<>();
    /** Units whose architecture has no driver factory (guarded by this object's monitor), by index. */
    private final Map<Integer, Iommu> waiting = new java.util.HashMap<>();
    /** The driver factories by architecture (guarded by this object's monitor). */
    private final Map<String, IommuDriverFactory> factories = new java.util.HashMap<>();
    private final TableFrames frames;
    private final DeviceTimeouts timeouts;
    /** Whether the units' devices may send page requests (the OS's GPU fault policy); guarded by this object's monitor. */
    private boolean pageRequests = true;

    /**
     * Each unit's driver writes its tables in frames from {@code frames}; {@code timeouts} hears of
     * devices that timed out.
     */
    IommuUnits(TableFrames frames, DeviceTimeouts timeouts) {
        this.frames = frames;
        this.timeouts = timeouts;
    }

    /**
     * Adds a unit: if its architecture's driver is there, the driver writes its tables (page requests as
     * {@link #setPageRequests} last said) and the unit's page requests are answered; else it waits for
     * that driver. False (nothing changes) if its index is taken.
     */
    synchronized boolean add(Iommu iommu) {
        if (units.containsKey(iommu.unit()) || waiting.containsKey(iommu.unit())) {
            return false;
        }
        IommuDriverFactory factory = factories.get(iommu.architecture());
        if (factory == null) {
            waiting.put(iommu.unit(), iommu);
            return true;
        }
        open(iommu, factory);
        return true;
    }

    /** Opens {@code iommu}'s driver and starts using the unit; a driver that refuses the unit is reported, and the unit waits. */
    private void open(Iommu iommu, IommuDriverFactory factory) {
        IommuDriver driver;
        try {
            driver = factory.open(iommu, frames, pageRequests);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "IOMMU unit " + iommu.unit() + " (" + iommu.architecture()
                    + ") is not used: its driver refused it: " + e.getMessage());
            waiting.put(iommu.unit(), iommu);
            return;
        }
        Unit unit = new Unit(iommu, driver);
        units.put(iommu.unit(), unit);
        driver.setPageRequestHandler(unit.handler);
        driver.setDeviceTimeoutHandler(device -> timeouts.timedOut(iommu.unit(), device));
    }

    /** The driver factory of architecture {@code arch} arrived: the units waiting for it start being used. */
    synchronized void addFactory(String arch, IommuDriverFactory factory) {
        if (factories.putIfAbsent(arch, factory) != null) {
            LOG.log(System.Logger.Level.ERROR, "two IOMMU driver factories for architecture " + arch + "; the second is not used");
            return;
        }
        for (Iommu iommu : new ArrayList<>(waiting.values())) {
            if (arch.equals(iommu.architecture())) {
                waiting.remove(iommu.unit());
                open(iommu, factory);
            }
        }
    }

    /**
     * The driver factory of architecture {@code arch} went away: its units' drivers are closed and the
     * units wait for a driver again. Returns them, so that their address spaces forget the bindings.
     */
    synchronized List<Unit> removeFactory(String arch, IommuDriverFactory factory) {
        List<Unit> gone = new ArrayList<>();
        if (!factories.remove(arch, factory)) {
            return gone;
        }
        for (Unit unit : new ArrayList<>(units.values())) {
            if (arch.equals(unit.iommu.architecture()) && close(unit)) {
                waiting.put(unit.iommu.unit(), unit.iommu);
                gone.add(unit);
            }
        }
        return gone;
    }

    /** Whether the units' devices may send page requests (the last {@link #setPageRequests}; on at first). */
    synchronized boolean pageRequests() {
        return pageRequests;
    }

    /**
     * Whether the devices of every unit, and of units added later, may send page requests (their drivers
     * write it in each device's entry). Serialized with {@link #add} (this object's monitor).
     */
    synchronized void setPageRequests(boolean enabled) {
        pageRequests = enabled;
        for (Unit unit : units.values()) {
            unit.driver.setPageRequests(enabled);
        }
    }

    /** Removes {@code iommu}'s unit if it is the registered one and gives its tables' frames back; returns it, or null. */
    synchronized Unit remove(Iommu iommu) {
        waiting.remove(iommu.unit(), iommu);
        Unit unit = units.get(iommu.unit());
        return unit != null && unit.iommu == iommu && close(unit) ? unit : null;
    }

    /** Stops using {@code unit}: its driver closed, its tables' frames given back. False if it was not in use. */
    private boolean close(Unit unit) {
        if (!units.remove(unit.iommu.unit(), unit)) {
            return false;
        }
        unit.driver.clearPageRequestHandler(unit.handler);
        unit.driver.close();
        return true;
    }

    /** @throws MemoryException INVALID_PARAMETER naming the unit if there is none with that index */
    Unit get(int index) {
        Unit unit = units.get(index);
        if (unit == null) {
            throw new MemoryException(Status.INVALID_PARAMETER, "no IOMMU unit " + index + " (units: " + indexes() + ")");
        }
        return unit;
    }

    List<Integer> indexes() {
        List<Integer> list = new ArrayList<>(units.keySet());
        list.sort(null);
        return list;
    }

    synchronized void clear() {
        waiting.clear();
        for (Unit unit : new ArrayList<>(units.values())) {
            close(unit);
        }
    }
}
