package vidmm;

import kmd.api.AdapterInfo;

/**
 * An adapter as VidMm started it, or why it did not.
 *
 * @param adapter the adapter's index
 * @param iommuUnit the IOMMU unit the adapter sits behind
 * @param state  started or refused
 * @param model  the addressing model in use ({@code null} unless started)
 * @param reason why the adapter was refused ({@code null} when started)
 * @param info   what the driver reported ({@code null} if it could not be queried)
 */
public record AdapterStatus(int adapter, int iommuUnit, State state, AddressingModel model, String reason, AdapterInfo info) {
    /** STARTED: a driver is attached; REFUSED: the best driver was refused (reason says why); STOPPED: no driver. */
    public enum State { STARTED, REFUSED, STOPPED }

    public enum AddressingModel { IOMMU }
}
