// The tests of the shared AppHost (PostgreSQL, Redis, RabbitMQ and four services) and of its Chromium run one after
// the other in their collection; beside them, one at a time, the deployment checks and ShutdownTests, whose own
// AppHost boots once the shared one is up and runs at a lower priority. Run after the shared stack's tests, ShutdownTests
// had made the assembly about a minute longer, and this assembly is one of ./test.sh's two longest chains.
[assembly: CollectionBehavior(MaxParallelThreads = 2)]
[assembly: TestCollectionOrderer(FlexWhere.EndToEndTests.SharedStackFirst.TypeName, FlexWhere.EndToEndTests.SharedStackFirst.AssemblyName)]
