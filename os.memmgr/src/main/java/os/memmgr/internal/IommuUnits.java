package os.memmgr.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;

import iommu.hw.Iommu;
import iommu.hw.PageResponse;
import iommu.hw.vtd.RequesterId;
import iommu.hw.vtd.VtdDriver;
import os.memmgr.MemoryException;
import os.memmgr.Status;

/**
 * The IOMMU units the memory manager registers address spaces with, each through its own
 * {@link VtdDriver} (the tables the unit reads, written in memory by the OS). Each unit has its own
 * PASID space: a process bound to two units may hold different PASIDs on each. A PASID's whole life is
 * here: allocated and its entry written ({@link Unit#bind}), its ranges invalidated, its entry cleared
 * and the unit's caches invalidated before it is free again ({@link Unit#unbind}); each unit's page
 * requests are resolved against that unit's PASIDs.
 */
final class IommuUnits {
    /** One unit: its driver, its PASID allocator and which address space each of its PASIDs names. */
    static final class Unit {
        final Iommu iommu;
        private final VtdDriver driver;
        private final PasidAllocator pasids = new PasidAllocator(VtdDriver.MAX_PASID);
        private final Map<Integer, ProcessAddressSpace> byPasid = new ConcurrentHashMap<>();
        private final iommu.hw.PageRequestHandler handler;

        Unit(Iommu iommu, VtdDriver driver) {
            this.iommu = iommu;
            this.driver = driver;
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

    private final Map<Integer, Unit> units = new ConcurrentHashMap<>();
    private final BiFunction<Iommu, Boolean, VtdDriver> drivers;
    private final DeviceTimeouts timeouts;
    /** Whether the units' devices may send page requests (the OS's GPU fault policy); guarded by this object's monitor. */
    private boolean pageRequests = true;

    /**
     * {@code drivers} makes each unit's driver (its tables in the OS's frames, its devices' page requests
     * enabled or not); {@code timeouts} hears of devices that timed out.
     */
    IommuUnits(BiFunction<Iommu, Boolean, VtdDriver> drivers, DeviceTimeouts timeouts) {
        this.drivers = drivers;
        this.timeouts = timeouts;
    }

    /**
     * Adds a unit, writes its tables (page requests as {@link #setPageRequests} last said) and answers
     * its page requests; false (nothing changes) if its index is taken.
     */
    synchronized boolean add(Iommu iommu) {
        if (units.containsKey(iommu.unit())) {
            return false;
        }
        Unit unit = new Unit(iommu, drivers.apply(iommu, pageRequests));
        if (units.putIfAbsent(iommu.unit(), unit) != null) {
            unit.driver.close();
            return false;
        }
        unit.driver.setPageRequestHandler(unit.handler);
        unit.driver.setDeviceTimeoutHandler(device -> timeouts.timedOut(iommu.unit(), device));
        return true;
    }

    /**
     * Whether the devices of every unit, and of units added later, may send page requests (PRE in their
     * context entries). Serialized with {@link #add} (this object's monitor, which nothing else takes).
     */
    /** Whether the units' devices may send page requests (the last {@link #setPageRequests}; on at first). */
    synchronized boolean pageRequests() {
        return pageRequests;
    }

    synchronized void setPageRequests(boolean enabled) {
        pageRequests = enabled;
        for (Unit unit : units.values()) {
            unit.driver.setPageRequests(enabled);
        }
    }

    /** Removes {@code iommu}'s unit if it is the registered one and gives its tables' frames back; returns it, or null. */
    Unit remove(Iommu iommu) {
        Unit unit = units.get(iommu.unit());
        if (unit == null || unit.iommu != iommu || !units.remove(iommu.unit(), unit)) {
            return null;
        }
        unit.driver.clearPageRequestHandler(unit.handler);
        unit.driver.close();
        return unit;
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

    void clear() {
        for (Unit unit : new ArrayList<>(units.values())) {
            remove(unit.iommu);
        }
    }
}
