using System.Linq;
using DriverSafety.Analyzers.Flow;
using DriverSafety.Analyzers.Summaries;

namespace DriverSafety.Analyzers.WholeProgram
{
    /// <summary>
    /// Records the lock-order edges a body's walk shows: every blocking acquisition (in the body, or in a callee through
    /// its summary) while other locks are held. Try-locks that cannot block add none (SPEC §6).
    /// </summary>
    internal sealed class LockOrderCollector : FlowObserver
    {
        private readonly LockOrderGraph _graph;

        public LockOrderCollector(LockOrderGraph graph) => _graph = graph;

        public override void OnCall(CallEvent e)
        {
            if (e.Effects.IsEmpty || !e.Before.Locks.AnyHeld || !e.Effects.Any(x => x is AcquireLock or TryAcquireLock { Blocking: true } or SummaryEffect))
            {
                return;
            }

            var held = e.Before.Locks.Held.Where(h => h.IsHeld).Select(h => LockClass.Of(h.Lock, h.Subclass)).Where(c => c is not null).Select(c => c!).ToArray();
            if (held.Length == 0)
            {
                return;
            }

            foreach (var effect in e.Effects)
            {
                switch (effect)
                {
                    case AcquireLock acquire when !acquire.Reentrant || e.Before.Find(acquire.Lock) is null:
                        Add(held, LockClass.Of(acquire.Lock, acquire.Subclass), e, null);
                        break;
                    case TryAcquireLock tryAcquire when tryAcquire.Blocking:
                        foreach (var lockPath in tryAcquire.Locks)
                        {
                            Add(held, LockClass.Of(lockPath, 0), e, null);
                        }

                        break;
                    case SummaryEffect summary:
                        foreach (var acquisition in summary.Summary.Events.OfType<AcquisitionEvent>().Where(a => a.Blocking))
                        {
                            var path = acquisition.Lock is null ? null : e.Site.Substitute(acquisition.Lock);
                            var lockClass = path is null ? acquisition.Class : LockClass.Of(path, acquisition.Class?.Subclass ?? 0);
                            Add(held, lockClass, e, acquisition.Chain.Prepend(e.Site.Method.Name, e.Site.Location));
                        }

                        break;
                }
            }
        }

        private void Add(LockClass[] held, LockClass? acquired, CallEvent e, CallChain? chain)
        {
            if (acquired is null)
            {
                return;
            }

            foreach (var from in held)
            {
                if (!from.Equals(acquired))
                {
                    _graph.Add(new LockOrderEdge(from, acquired, e.Site.Location, chain, e.Body.Name));
                }
            }
        }
    }
}
