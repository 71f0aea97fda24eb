// "[PATCH 1/1] ufs: core: fix &hwq->cq_lock deadlock issue", Alice Chao (MediaTek), linux-scsi, 21 Apr 2023;
// reviewed by Stanley Chu.
//
// The story. With UFS multi-circular queues, completions are reaped by ufshcd_mcq_poll_cqe_lock(), which took the
// queue's hwq->cq_lock with a plain spin_lock(). The MCQ interrupt handler (ufs_mtk_mcq_intr) calls it in hard IRQ
// context, and the error handler calls it from a kworker with IRQs enabled (ufshcd_err_handler →
// ufshcd_transfer_req_compl → ufshcd_poll → ufshcd_mcq_poll_cqe_lock). If the completion interrupt arrives on that
// CPU while the worker holds cq_lock, the handler spins on it forever. Lockdep: "inconsistent {IN-HARDIRQ-W} ->
// {HARDIRQ-ON-W} usage".
//
// The fix. "Use ufshcd_mcq_poll_cqe_lock() with spin_lock_irqsave instead of spin_lock": the lock is taken with IRQs
// off everywhere, which is right in the handler and in the worker alike.
//
// Rule: DRV1012 at the process-context call (ufshcd_poll's) that takes the IRQ-safe lock with IRQs enabled.
using DriverSafety.SampleDriver.Kernel;

namespace DriverSafety.SampleDriver.BugGallery.UfsCqLockIrqSafe;

internal static class Buggy
{
    internal sealed class HwQueue
    {
        internal readonly SpinLock CqLock = new("ufs_hw_queue.cq_lock");

        [GuardedBy("CqLock")]
        internal int CqHead = 0;

        [GuardedBy("CqLock")]
        internal int CqTail = 1;
    }

    internal sealed class UfsHba
    {
        internal readonly HwQueue Hwq = new();

        /// <summary>ufs_mtk_mcq_intr: the completion interrupt.</summary>
        [AtomicContext(IrqsOff = true)]
        internal IrqReturn McqIntr(int irq, object? devId)
        {
            return PollCqeLock(Hwq) > 0 ? IrqReturn.Handled : IrqReturn.None;
        }

        /// <summary>ufshcd_err_handler, on a workqueue: reaps what completed before resetting.</summary>
        internal void ErrHandler()
        {
            TransferReqCompl();
        }

        private void TransferReqCompl() => Poll();

        private int Poll() => PollCqeLock(Hwq); // DRV1012
    }

    /// <summary>ufshcd_mcq_poll_cqe_lock with a plain spin_lock.</summary>
    internal static int PollCqeLock(HwQueue hwq)
    {
        hwq.CqLock.Lock();
        var completed = hwq.CqTail - hwq.CqHead;
        hwq.CqHead = hwq.CqTail;
        hwq.CqLock.Unlock();
        return completed;
    }
}

internal static class Fixed
{
    internal sealed class HwQueue
    {
        internal readonly SpinLock CqLock = new("ufs_hw_queue.cq_lock");

        [GuardedBy("CqLock")]
        internal int CqHead = 0;

        [GuardedBy("CqLock")]
        internal int CqTail = 1;
    }

    internal sealed class UfsHba
    {
        internal readonly HwQueue Hwq = new();

        [AtomicContext(IrqsOff = true)]
        internal IrqReturn McqIntr(int irq, object? devId)
        {
            return PollCqeLock(Hwq) > 0 ? IrqReturn.Handled : IrqReturn.None;
        }

        internal void ErrHandler()
        {
            TransferReqCompl();
        }

        private void TransferReqCompl() => Poll();

        private int Poll() => PollCqeLock(Hwq);
    }

    /// <summary>spin_lock_irqsave: right from the handler and from the worker alike.</summary>
    internal static int PollCqeLock(HwQueue hwq)
    {
        var flags = hwq.CqLock.LockIrqSave();
        var completed = hwq.CqTail - hwq.CqHead;
        hwq.CqHead = hwq.CqTail;
        hwq.CqLock.UnlockIrqRestore(flags);
        return completed;
    }
}
