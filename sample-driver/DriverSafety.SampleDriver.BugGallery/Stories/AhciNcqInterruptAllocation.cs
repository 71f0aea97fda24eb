// "Re: [PATCH] SATA NCQ support", Jeff Garzik and Jens Axboe, LKML, 27 May 2005.
//
// The story. Jens Axboe's NCQ patch for libata/ahci moved the NCQ error handling from the error-handler callback
// into the interrupt path: the AHCI interrupt handler called ahci_host_intr(), which on an NCQ error called
// ahci_host_ncq_intr_err(), which read the log page into a buffer from kmalloc(512, GFP_KERNEL). Garzik in review:
// "cannot use GFP_KERNEL in interrupt context". Axboe: "I moved this call from eh_strategy callback to interrupt as
// well and forgot to change the allocation mask". The allocation is two calls below the handler, where no grep for
// GFP_KERNEL in the handler would find it.
//
// The fix. Allocate with GFP_ATOMIC (and cope with failure) in anything the handler calls; the fixed twin does.
//
// Rule: DRV2001 at the handler's call, with the chain down to the GFP_KERNEL allocation.
using DriverSafety.SampleDriver.Kernel;

namespace DriverSafety.SampleDriver.BugGallery.AhciNcqInterruptAllocation;

internal sealed class Buggy
{
    private const int LogPageBytes = 512;

    private bool _ncqError;

    /// <summary>ahci_interrupt: the hard IRQ handler.</summary>
    [AtomicContext(IrqsOff = true)]
    internal IrqReturn AhciInterrupt(int irq, object? devId)
    {
        HostIntr(); // DRV2001
        return IrqReturn.Handled;
    }

    private void HostIntr()
    {
        if (_ncqError)
        {
            NcqIntrErr();
        }
    }

    /// <summary>ahci_host_ncq_intr_err: moved here from the error handler, its GFP_KERNEL with it.</summary>
    private void NcqIntrErr()
    {
        var buffer = Slab.Kmalloc(LogPageBytes, Gfp.Kernel);
        _ncqError = buffer.Length == 0;
        Slab.Kfree(buffer);
    }
}

internal sealed class Fixed
{
    private const int LogPageBytes = 512;

    private bool _ncqError;

    [AtomicContext(IrqsOff = true)]
    internal IrqReturn AhciInterrupt(int irq, object? devId)
    {
        HostIntr();
        return IrqReturn.Handled;
    }

    private void HostIntr()
    {
        if (_ncqError)
        {
            NcqIntrErr();
        }
    }

    private void NcqIntrErr()
    {
        var buffer = Slab.Kmalloc(LogPageBytes, Gfp.Atomic);
        _ncqError = buffer.Length == 0;
        Slab.Kfree(buffer);
    }
}
