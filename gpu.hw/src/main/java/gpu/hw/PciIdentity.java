package gpu.hw;

/** The adapter's PCI identity, as a driver matches it. */
public record PciIdentity(int vendorId, int deviceId, int revision) {
    @Override
    public String toString() {
        return String.format("PCI %04x:%04x rev %02x", vendorId, deviceId, revision);
    }
}
