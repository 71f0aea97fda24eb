// mipi_dbi_buf_copy() (drivers/gpu/drm/drm_mipi_dbi.c, tinydrm's mipi-dbi.c before 2019; as of the v5.x kernels, e.g.
// in the dri-devel patches of July 2020 that touch its "Format is not supported" branch), read against the dma-buf
// CPU-access contract that commit 1ffe09590121 ("udmabuf: fix dma-buf cpu access", Gurchetan Singh, 2019) spells out:
// "CPU access from the importer must be surrounded by {begin,end}_cpu_access".
//
// The story. The SPI panel drivers copy the framebuffer into a transfer buffer, converting the pixel format on the
// way. For an imported framebuffer the copy is bracketed by dma_buf_begin_cpu_access() and
// dma_buf_end_cpu_access(), so the exporter can make the buffer coherent for the CPU and back. In those versions the
// default case of the format switch (an unsupported format) did "return -EINVAL;" from the middle of the bracket:
// the end was skipped, and the exporter was left believing the CPU still owned the buffer.
//
// The fix. Today's mipi_dbi_buf_copy() sets ret = -EINVAL in that branch and falls through to the end of CPU access
// (drm_gem_fb_end_cpu_access()); the fixed twin does the same.
//
// Rule: DRV3001 at the begin (a scoped resource: ended in the method that began it, on every path), the early exit
// as additional location.
using DriverSafety.SampleDriver.Dma;
using DriverSafety.SampleDriver.Kernel;

namespace DriverSafety.SampleDriver.BugGallery.MipiDbiBeginCpuAccessLeftOpen;

internal static class Buggy
{
    private const int FormatRgb565 = 1;

    private const int FormatXrgb8888 = 2;

    internal static int BufCopy(DmaBuf.DmaBuf import, byte[] dst, int format)
    {
        var ret = import.BeginCpuAccess(DmaDataDirection.FromDevice); // DRV3001
        if (ret != 0)
        {
            return ret;
        }

        switch (format)
        {
            case FormatRgb565:
            case FormatXrgb8888:
                Array.Clear(dst);
                break;
            default:
                return -Errno.EINVAL;
        }

        return import.EndCpuAccess(DmaDataDirection.FromDevice);
    }
}

internal static class Fixed
{
    private const int FormatRgb565 = 1;

    private const int FormatXrgb8888 = 2;

    internal static int BufCopy(DmaBuf.DmaBuf import, byte[] dst, int format)
    {
        var ret = import.BeginCpuAccess(DmaDataDirection.FromDevice);
        if (ret != 0)
        {
            return ret;
        }

        switch (format)
        {
            case FormatRgb565:
            case FormatXrgb8888:
                Array.Clear(dst);
                break;
            default:
                ret = -Errno.EINVAL;
                break;
        }

        var end = import.EndCpuAccess(DmaDataDirection.FromDevice);
        return ret != 0 ? ret : end;
    }
}
