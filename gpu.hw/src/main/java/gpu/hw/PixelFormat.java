package gpu.hw;

/** Scanout pixel formats. */
public enum PixelFormat {
    /** 32 bits a pixel, bytes in memory B, G, R, A (D3DDDIFMT_A8R8G8B8 read as a little-endian int). */
    B8G8R8A8
}
