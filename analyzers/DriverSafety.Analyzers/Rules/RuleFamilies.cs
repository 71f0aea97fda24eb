using System;
using System.Collections.Immutable;
using DriverSafety.Analyzers.Contracts;
using DriverSafety.Analyzers.Flow;
using Microsoft.CodeAnalysis;

namespace DriverSafety.Analyzers.Rules
{
    /// <summary>The rule families that observe every body's walk; a family registers here with one line.</summary>
    internal static class RuleFamilies
    {
        public static IFlowObserver Observers(ContractProvider contracts, Summaries.ISummaryProvider? summaries, WholeProgram.WholeProgramFacts facts, Action<Diagnostic> report) =>
            new CompositeObserver(ImmutableArray.Create<IFlowObserver>(
                new LockingRules(contracts, report),
                new ContextRules(contracts, summaries, report),
                new LifetimeRules(contracts, report),
                new WholeProgram.LockOrderCollector(facts.LockOrder),
                new LockOrderRules(contracts, facts, report),
                new WholeProgram.ReclaimCollector(contracts, facts.Reclaim),
                new WholeProgram.IrqLockUsageCollector(facts.IrqUsage, contracts, summaries),
                new WholeProgram.ReclaimAllocationCollector(contracts, facts.Reclaim, facts.ReclaimAllocations, summaries)));
    }
}
