using DriverSafety.CodeFixes;
using DriverSafety.Tests.Verification;
using Xunit;

namespace DriverSafety.Tests.CodeFixes;

/// <summary>DRV1002: "Take 'L' around this call" wraps the calling statement in the lock type's acquire and release.</summary>
public sealed class TakeLockCodeFixTests
{
    private const string EquivalenceKey = "TakeLockCodeFix";

    [Fact]
    public Task Call_without_the_lock_is_wrapped_in_lock_and_unlock() => Verify.CodeFix<TakeLockCodeFix>(
        """
        public sealed class Gem
        {
            public Mutex Lock = new Mutex();

            [Requires("obj.Lock")]
            public static void Vmap(Gem obj) { }

            public static void Map(Gem gem)
            {
                // map it
                {|DRV1002:Vmap(gem)|};
                gem.ToString();
            }
        }
        """,
        """
        public sealed class Gem
        {
            public Mutex Lock = new Mutex();

            [Requires("obj.Lock")]
            public static void Vmap(Gem obj) { }

            public static void Map(Gem gem)
            {
                // map it
                gem.Lock.Lock();
                try
                {
                    Vmap(gem);
                }
                finally
                {
                    gem.Lock.Unlock();
                }
                gem.ToString();
            }
        }
        """,
        new VerifyOptions { FixedTitle = "Take 'gem.Lock' around this call", CodeActionEquivalenceKey = EquivalenceKey });
}
