package kmd.api.callbacks;

/**
 * DXGK_FAULT_ERROR_CODE (d3dkmddi.h): why a GPU access faulted, either a general code the OS knows
 * ({@code IsDeviceSpecificCode} 0: DXGK_GENERAL_ERROR_CODE) or one of the driver's own.
 *
 * @param deviceSpecific IsDeviceSpecificCode
 * @param code           GeneralErrorCode (31 bits) or DeviceSpecificCode
 */
public record FaultErrorCode(boolean deviceSpecific, int code) {
    /** DXGK_GENERAL_ERROR_PAGE_FAULT: the address was not mapped, or not for that access. */
    public static final FaultErrorCode PAGE_FAULT = new FaultErrorCode(false, 0);
    /** DXGK_GENERAL_ERROR_INVALID_INSTRUCTION: the engine fetched an instruction it cannot run. */
    public static final FaultErrorCode INVALID_INSTRUCTION = new FaultErrorCode(false, 1);

    public FaultErrorCode {
        if (code < 0) {
            throw new IllegalArgumentException("a fault error code has 31 bits, not " + code);
        }
    }

    @Override
    public String toString() {
        return deviceSpecific ? "device-specific 0x" + Integer.toHexString(code)
                : code == 0 ? "PAGE_FAULT" : code == 1 ? "INVALID_INSTRUCTION" : "general " + code;
    }
}
