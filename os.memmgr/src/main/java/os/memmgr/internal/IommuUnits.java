package os.memmgr.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import iommu.hw.Iommu;
import iommu.hw.PageResponse;
import os.memmgr.MemoryException;
import os.memmgr.Status;

/**
 * The IOMMU units the memory manager registers address spaces with. Each unit has its own PASID
 * space: a process bound to two units may hold different PASIDs on each. Each unit's page requests
 * are resolved against that unit's PASIDs.
 */
final class IommuUnits {
    /** One unit: its PASID allocator and which address space each of its PASIDs names. */
    static final class Unit {
        final Iommu iommu;
        final PasidAllocator pasids = new PasidAllocator();
        final Map<Integer, ProcessAddressSpace> byPasid = new ConcurrentHashMap<>();
        final iommu.hw.PageRequestHandler handler;

        Unit(Iommu iommu) {
            this.iommu = iommu;
            this.handler = request -> {
                ProcessAddressSpace space = byPasid.get(request.pasid());
                return space == null ? PageResponse.FAILURE : space.resolve(request.va(), request.access());
            };
        }
    }

    private final Map<Integer, Unit> units = new ConcurrentHashMap<>();

    /** Adds a unit and answers its page requests; false (nothing changes) if its index is taken. */
    boolean add(Iommu iommu) {
        Unit unit = new Unit(iommu);
        if (units.putIfAbsent(iommu.unit(), unit) != null) {
            return false;
        }
        iommu.setPageRequestHandler(unit.handler);
        return true;
    }

    /** Removes {@code iommu}'s unit if it is the registered one; returns it, or null. */
    Unit remove(Iommu iommu) {
        Unit unit = units.get(iommu.unit());
        if (unit == null || unit.iommu != iommu || !units.remove(iommu.unit(), unit)) {
            return null;
        }
        iommu.clearPageRequestHandler(unit.handler);
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
