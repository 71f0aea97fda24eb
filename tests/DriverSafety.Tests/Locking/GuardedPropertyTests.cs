using Xunit;
using DriverSafety.Tests.Verification;

namespace DriverSafety.Tests.Locking;

/// <summary>
/// A <c>[GuardedBy]</c> property is checked where it is read or written; its own accessors run under its locks
/// (the getter shared, the setter exclusive), so they may touch the fields behind it.
/// </summary>
public sealed class GuardedPropertyTests
{
    [Fact]
    public Task AccessorsOfAGuardedPropertyRunUnderItsLock() => Verify.Analyzer("""
        public sealed class Gem
        {
            public DmaResv Resv = new DmaResv();
            [GuardedBy("Resv")] private int _pinCount;

            [GuardedBy("Resv")]
            public int PinCount
            {
                get => _pinCount;
                set => _pinCount = value;
            }

            public int Peek() => {|DRV1001:PinCount|};
        }
        """);

    [Fact]
    public Task GetterHoldsTheLockSharedOnly() => Verify.Analyzer("""
        public sealed class Gem
        {
            public RwSemaphore Sem = new RwSemaphore();
            [GuardedBy("Sem")] private int _reads;

            [GuardedBy("Sem")]
            public int Reads
            {
                get
                {
                    {|DRV1001:_reads|}++;
                    return _reads;
                }
            }
        }
        """);
}
