using DriverSafety.Tests.Verification;
using Xunit;

namespace DriverSafety.Tests.Annotations;

/// <summary>DRV9004 (Info): a DriverSafety suppression must say why, on its line or in its Justification.</summary>
public sealed class SuppressionJustificationTests
{
    [Fact]
    public Task Pragmas_and_attributes_without_a_reason() => Verify.Analyzer("""
        using System.Diagnostics.CodeAnalysis;

        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();

            public void Quiet()
            {
        {|#0:#pragma warning disable DRV1003|}
                _m.Lock();
        #pragma warning restore DRV1003
            }

            public void Explained()
            {
        #pragma warning disable DRV1003 // released by the completion callback, which the analysis cannot see
                _m.Lock();
        #pragma warning restore DRV1003
            }

            [{|#1:SuppressMessage("DriverSafety.Locking", "DRV1003:Lock not released")|}]
            public void Attribute() => _m.Lock();

            [SuppressMessage("DriverSafety.Locking", "DRV1003:Lock not released", Justification = "Released by the completion callback.")]
            public void Justified() => _m.Lock();

            [SuppressMessage("Style", "IDE0060")]
            public void NotOurs(int unused) { }

        #pragma warning disable CS0168
            public void NotOursEither() { int x; }
        #pragma warning restore CS0168
        }
        """,
        Verify.Diagnostic("DRV9004").WithLocation(0).WithMessage(
            "'#pragma warning disable DRV1003' suppresses a DriverSafety rule without saying why: add a comment on the same line (// why the finding does not apply here)"),
        Verify.Diagnostic("DRV9004").WithLocation(1).WithMessage(
            "[SuppressMessage(\"DriverSafety.Locking\", \"DRV1003:Lock not released\")] suppresses a DriverSafety rule without saying why: add Justification = \"why the finding does not apply here\""));
}
