using System;
using DriverSafety.Analyzers.Contracts;
using Microsoft.CodeAnalysis;

namespace DriverSafety.Analyzers.Rules
{
    /// <summary>DRV9001 and DRV9002: malformed annotations, reported once at the attribute of the declaring member.</summary>
    internal static class AnnotationRules
    {
        public static void Report(ISymbol symbol, ContractProvider contracts, Action<Diagnostic> report)
        {
            foreach (var problem in contracts.ProblemsOf(symbol))
            {
                report(Diagnostic.Create(problem.Descriptor, problem.Location, problem.Message));
            }
        }
    }
}
