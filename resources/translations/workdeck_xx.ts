<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="xx" sourcelanguage="en">
<context>
    <name>App</name>
    <message>
        <source>Manifest: {message}</source>
        <translation>[Manifest: {message}]</translation>
    </message>
</context>
<context>
    <name>ChainPicker</name>
    <message>
        <source>type a task's name to run after it</source>
        <extracomment>How many candidate parents the picker offers (newest first): a chain is built from recent work, and a combo box of 100,000 entries helps nobody.</extracomment>
        <translation>[type a task's name to run after it]</translation>
    </message>
    <message>
        <source>Run after: find a task</source>
        <translation>[Run after: find a task]</translation>
    </message>
    <message>
        <source>Type part of a task's name, command or id and press Add</source>
        <translation>[Type part of a task's name, command or id and press Add]</translation>
    </message>
    <message>
        <source>Add</source>
        <translation>[Add]</translation>
    </message>
    <message>
        <source>Add to run after</source>
        <translation>[Add to run after]</translation>
    </message>
    <message>
        <source>This task waits for the task found above</source>
        <translation>[This task waits for the task found above]</translation>
    </message>
    <message>
        <source>Runs after these tasks</source>
        <translation>[Runs after these tasks]</translation>
    </message>
    <message>
        <source>The tasks that must succeed before this one runs</source>
        <translation>[The tasks that must succeed before this one runs]</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>[Remove]</translation>
    </message>
    <message>
        <source>Remove from run after</source>
        <translation>[Remove from run after]</translation>
    </message>
    <message>
        <source>This task no longer waits for the selected task</source>
        <translation>[This task no longer waits for the selected task]</translation>
    </message>
    <message>
        <source>(deleted task)</source>
        <translation>[(deleted task)]</translation>
    </message>
</context>
<context>
    <name>Classify</name>
    <message>
        <source>Must it happen at an exact time, like an alarm?</source>
        <extracomment>The questions, asked in this order until the answers decide.</extracomment>
        <translation>[Must it happen at an exact time, like an alarm?]</translation>
    </message>
    <message>
        <source>Should it start right away?</source>
        <translation>[Should it start right away?]</translation>
    </message>
    <message>
        <source>Must it keep going if you close this window, quit Workdeck or restart the computer?</source>
        <translation>[Must it keep going if you close this window, quit Workdeck or restart the computer?]</translation>
    </message>
    <message>
        <source>now, while this window is open</source>
        <translation>[now, while this window is open]</translation>
    </message>
    <message>
        <source>now, and keep going</source>
        <translation>[now, and keep going]</translation>
    </message>
    <message>
        <source>at a set time</source>
        <translation>[at a set time]</translation>
    </message>
    <message>
        <source>later, in the queue</source>
        <translation>[later, in the queue]</translation>
    </message>
    <message>
        <source>It must happen at a set time, so it is an alarm that goes off then, even with the window closed.</source>
        <translation>[It must happen at a set time, so it is an alarm that goes off then, even with the window closed.]</translation>
    </message>
    <message>
        <source>It can wait, so it joins the queue and runs when its time and conditions come, even after a restart.</source>
        <translation>[It can wait, so it joins the queue and runs when its time and conditions come, even after a restart.]</translation>
    </message>
    <message>
        <source>It starts at once and keeps going when you close the window, and resumes after a quit or a restart.</source>
        <translation>[It starts at once and keeps going when you close the window, and resumes after a quit or a restart.]</translation>
    </message>
    <message>
        <source>It belongs to this window, so it starts at once and stops when you close the window (to the tray too).</source>
        <translation>[It belongs to this window, so it starts at once and stops when you close the window (to the tray too).]</translation>
    </message>
</context>
<context>
    <name>DecisionPage</name>
    <message>
        <source>Answer a few questions and Workdeck picks the right kind of work.</source>
        <translation>[Answer a few questions and Workdeck picks the right kind of work.]</translation>
    </message>
    <message>
        <source>{number}. {question}</source>
        <translation>[{number}. {question}]</translation>
    </message>
    <message>
        <source>Yes</source>
        <translation>[Yes]</translation>
    </message>
    <message>
        <source>No</source>
        <translation>[No]</translation>
    </message>
    <message>
        <source>{question} Yes</source>
        <translation>[{question} Yes]</translation>
    </message>
    <message>
        <source>{question} No</source>
        <translation>[{question} No]</translation>
    </message>
    <message>
        <source>Answer yes to question {number}; arrow keys choose the other answer</source>
        <translation>[Answer yes to question {number}; arrow keys choose the other answer]</translation>
    </message>
    <message>
        <source>Answer no to question {number}; arrow keys choose the other answer</source>
        <translation>[Answer no to question {number}; arrow keys choose the other answer]</translation>
    </message>
    <message>
        <source>The kind picked and why</source>
        <translation>[The kind picked and why]</translation>
    </message>
    <message>
        <source>Which kind of work your answers lead to, and why</source>
        <translation>[Which kind of work your answers lead to, and why]</translation>
    </message>
    <message>
        <source>&lt;b&gt;{kind}.&lt;/b&gt; {reason}</source>
        <translation>[&lt;b&gt;{kind}.&lt;/b&gt; {reason}]</translation>
    </message>
</context>
<context>
    <name>DesktopShell</name>
    <message>
        <source>Settings…</source>
        <translation>[Settings…]</translation>
    </message>
    <message>
        <source>New reminder…</source>
        <translation>[New reminder…]</translation>
    </message>
    <message>
        <source>Pause deferred work</source>
        <translation>[Pause deferred work]</translation>
    </message>
    <message>
        <source>Deferred work paused or running</source>
        <translation>[Deferred work paused or running]</translation>
    </message>
    <message>
        <source>Resume deferred work</source>
        <translation>[Resume deferred work]</translation>
    </message>
    <message>
        <source>deferred work paused</source>
        <translation>[deferred work paused]</translation>
    </message>
</context>
<context>
    <name>DetailsPane</name>
    <message>
        <source>Task details</source>
        <extracomment>A run column's room beside its words: the view's margins either side, and a little air. A parent or child link was clicked: select that task.</extracomment>
        <translation>[Task details]</translation>
    </message>
    <message>
        <source>The selected task: what it is, why it waits, its output, runs and spec.</source>
        <translation>[The selected task: what it is, why it waits, its output, runs and spec.]</translation>
    </message>
    <message>
        <source>No task selected</source>
        <translation>[No task selected]</translation>
    </message>
    <message>
        <source>Task name</source>
        <translation>[Task name]</translation>
    </message>
    <message>
        <source>The name of the selected task, or what it runs.</source>
        <translation>[The name of the selected task, or what it runs.]</translation>
    </message>
    <message>
        <source>Task id, kind and state</source>
        <translation>[Task id, kind and state]</translation>
    </message>
    <message>
        <source>Its id, kind of work, state, attempts and next run.</source>
        <translation>[Its id, kind of work, state, attempts and next run.]</translation>
    </message>
    <message>
        <source>Why it waits</source>
        <translation>[Why it waits]</translation>
    </message>
    <message>
        <source>What the task is waiting for before it can run.</source>
        <translation>[What the task is waiting for before it can run.]</translation>
    </message>
    <message>
        <source>Runs after and before</source>
        <translation>[Runs after and before]</translation>
    </message>
    <message>
        <source>The tasks this one waits for and the tasks that wait for it; each name is a link that selects it.</source>
        <translation>[The tasks this one waits for and the tasks that wait for it; each name is a link that selects it.]</translation>
    </message>
    <message>
        <source>Progress</source>
        <translation>[Progress]</translation>
    </message>
    <message>
        <source>How far the running task has come, as it reports it.</source>
        <translation>[How far the running task has come, as it reports it.]</translation>
    </message>
    <message>
        <source>Task details tabs</source>
        <translation>[Task details tabs]</translation>
    </message>
    <message>
        <source>Output of the latest run, every run, and the task's spec.</source>
        <translation>[Output of the latest run, every run, and the task's spec.]</translation>
    </message>
    <message>
        <source>Task spec</source>
        <translation>[Task spec]</translation>
    </message>
    <message>
        <source>Everything the task was created with, in plain words.</source>
        <translation>[Everything the task was created with, in plain words.]</translation>
    </message>
    <message>
        <source>Runs</source>
        <translation>[Runs]</translation>
    </message>
    <message>
        <source>Every run of the task, newest first: when, how long, how it ended and its exit code.</source>
        <translation>[Every run of the task, newest first: when, how long, how it ended and its exit code.]</translation>
    </message>
    <message>
        <source>Output of the latest run</source>
        <translation>[Output of the latest run]</translation>
    </message>
    <message>
        <source>What the latest run printed, as it prints it.</source>
        <translation>[What the latest run printed, as it prints it.]</translation>
    </message>
    <message>
        <source>Output</source>
        <translation>[Output]</translation>
    </message>
    <message>
        <source>Spec</source>
        <translation>[Spec]</translation>
    </message>
    <message>
        <source>Select a task in the table or on the timeline.</source>
        <translation>[Select a task in the table or on the timeline.]</translation>
    </message>
    <message>
        <source>{id} · {kind} · {state} · attempts {attempts}</source>
        <translation>[{id} · {kind} · {state} · attempts {attempts}]</translation>
    </message>
    <message>
        <source> · next run {when}</source>
        <translation>[ · next run {when}]</translation>
    </message>
    <message>
        <source>for the tasks it runs after to succeed</source>
        <translation>[for the tasks it runs after to succeed]</translation>
    </message>
    <message>
        <source>Waiting</source>
        <translation>[Waiting]</translation>
    </message>
    <message>
        <source>Unreadable</source>
        <translation>[Unreadable]</translation>
    </message>
    <message>
        <source>{why}; Workdeck skips this task (export keeps its row)</source>
        <translation>[{why}; Workdeck skips this task (export keeps its row)]</translation>
    </message>
    <message>
        <source>Runs after: {tasks}</source>
        <translation>[Runs after: {tasks}]</translation>
    </message>
    <message>
        <source>Then runs: {tasks}</source>
        <translation>[Then runs: {tasks}]</translation>
    </message>
    <message>
        <source>{id} (deleted)</source>
        <translation>[{id} (deleted)]</translation>
    </message>
    <message>
        <source>runs</source>
        <translation>[runs]</translation>
    </message>
    <message>
        <source>kind</source>
        <translation>[kind]</translation>
    </message>
    <message>
        <source>name</source>
        <translation>[name]</translation>
    </message>
    <message>
        <source>{name} (if a task with this name exists: {policy})</source>
        <translation>[{name} (if a task with this name exists: {policy})]</translation>
    </message>
    <message>
        <source>tags</source>
        <translation>[tags]</translation>
    </message>
    <message>
        <source>created</source>
        <translation>[created]</translation>
    </message>
    <message>
        <source>first due</source>
        <translation>[first due]</translation>
    </message>
    <message>
        <source>at once</source>
        <translation>[at once]</translation>
    </message>
    <message>
        <source>every {span}</source>
        <translation>[every {span}]</translation>
    </message>
    <message>
        <source>repeats</source>
        <translation>[repeats]</translation>
    </message>
    <message>
        <source>only when</source>
        <translation>[only when]</translation>
    </message>
    <message>
        <source>once, after {span}</source>
        <translation>[once, after {span}]</translation>
    </message>
    <message>
        <source>{n} times, first after {span}</source>
        <translation>[{n} times, first after {span}]</translation>
    </message>
    <message>
        <source>, then {growth}</source>
        <translation>[, then {growth}]</translation>
    </message>
    <message>
        <source>retry after failure</source>
        <translation>[retry after failure]</translation>
    </message>
    <message>
        <source>timeout</source>
        <translation>[timeout]</translation>
    </message>
    <message>
        <source>if missed</source>
        <translation>[if missed]</translation>
    </message>
    <message>
        <source>{policy} (up to {span} late)</source>
        <translation>[{policy} (up to {span} late)]</translation>
    </message>
    <message>
        <source>input</source>
        <translation>[input]</translation>
    </message>
    <message>
        <source>output</source>
        <translation>[output]</translation>
    </message>
</context>
<context>
    <name>EmptyState</name>
    <message>
        <source>Getting started</source>
        <extracomment>The widest the introduction's lines get, in pixels: a readable measure, however wide the window.</extracomment>
        <translation>[Getting started]</translation>
    </message>
    <message>
        <source>&lt;h2&gt;Nothing scheduled yet&lt;/h2&gt;</source>
        <translation>[&lt;h2&gt;Nothing scheduled yet&lt;/h2&gt;]</translation>
    </message>
    <message>
        <source>Workdeck runs your background work without getting in your way: now, later when the time and conditions are right, or at an exact time with a reminder. Everything it runs will appear on a live timeline in this window. Press Ctrl+N to be asked a few questions, or pick the kind here:</source>
        <translation>[Workdeck runs your background work without getting in your way: now, later when the time and conditions are right, or at an exact time with a reminder. Everything it runs will appear on a live timeline in this window. Press Ctrl+N to be asked a few questions, or pick the kind here:]</translation>
    </message>
    <message>
        <source>Run something now…</source>
        <translation>[Run something now…]</translation>
    </message>
    <message>
        <source>A command that starts at once and keeps going in the background</source>
        <translation>[A command that starts at once and keeps going in the background]</translation>
    </message>
    <message>
        <source>Queue something for later…</source>
        <translation>[Queue something for later…]</translation>
    </message>
    <message>
        <source>Work that waits for a delay, a repeat or conditions such as mains power</source>
        <translation>[Work that waits for a delay, a repeat or conditions such as mains power]</translation>
    </message>
    <message>
        <source>Set an alarm or reminder…</source>
        <translation>[Set an alarm or reminder…]</translation>
    </message>
    <message>
        <source>Something that must happen at an exact time</source>
        <translation>[Something that must happen at an exact time]</translation>
    </message>
    <message>
        <source>Add example tasks</source>
        <translation>[Add example tasks]</translation>
    </message>
    <message>
        <source>Adds one harmless task of each kind; Help ▸ Remove example tasks takes them away</source>
        <translation>[Adds one harmless task of each kind; Help ▸ Remove example tasks takes them away]</translation>
    </message>
</context>
<context>
    <name>Examples</name>
    <message>
        <source>Example: how long this computer has been up</source>
        <translation>[Example: how long this computer has been up]</translation>
    </message>
    <message>
        <source>Example: free disk space, every day</source>
        <translation>[Example: free disk space, every day]</translation>
    </message>
    <message>
        <source>Stand up and stretch (an example reminder)</source>
        <translation>[Stand up and stretch (an example reminder)]</translation>
    </message>
    <message>
        <source>Example: a reminder in 30 minutes</source>
        <translation>[Example: a reminder in 30 minutes]</translation>
    </message>
</context>
<context>
    <name>Log</name>
    <message>
        <source>Open log</source>
        <translation>[Open log]</translation>
    </message>
    <message>
        <source>Open {file}</source>
        <translation>[Open {file}]</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Workdeck</source>
        <extracomment>The smallest the window may be: a 640x480 screen's worth, less the desktop's panels.</extracomment>
        <translation>[Workdeck]</translation>
    </message>
    <message>
        <source>Tasks</source>
        <translation>[Tasks]</translation>
    </message>
    <message>
        <source>Every task: its name, kind, state, next run and last outcome (in words, with an icon). Select one to see its details.</source>
        <translation>[Every task: its name, kind, state, next run and last outcome (in words, with an icon). Select one to see its details.]</translation>
    </message>
    <message>
        <source>Search name, command, id or tag (Ctrl+F)</source>
        <translation>[Search name, command, id or tag (Ctrl+F)]</translation>
    </message>
    <message>
        <source>Search tasks</source>
        <translation>[Search tasks]</translation>
    </message>
    <message>
        <source>Filter by kind</source>
        <translation>[Filter by kind]</translation>
    </message>
    <message>
        <source>Show only tasks of one kind, in the table and on the timeline</source>
        <translation>[Show only tasks of one kind, in the table and on the timeline]</translation>
    </message>
    <message>
        <source>All kinds</source>
        <translation>[All kinds]</translation>
    </message>
    <message>
        <source>Filter by state</source>
        <translation>[Filter by state]</translation>
    </message>
    <message>
        <source>Show only tasks in one state, in the table and on the timeline</source>
        <translation>[Show only tasks in one state, in the table and on the timeline]</translation>
    </message>
    <message>
        <source>All states</source>
        <translation>[All states]</translation>
    </message>
    <message>
        <source>Filter by tag</source>
        <translation>[Filter by tag]</translation>
    </message>
    <message>
        <source>Show only tasks with one tag, in the table and on the timeline</source>
        <translation>[Show only tasks with one tag, in the table and on the timeline]</translation>
    </message>
    <message>
        <source>Running tasks</source>
        <extracomment>The panes F6 cycles through (Shift+F6 backwards), as in GTK and KDE applications.</extracomment>
        <translation>[Running tasks]</translation>
    </message>
    <message>
        <source>Next alarm</source>
        <translation>[Next alarm]</translation>
    </message>
    <message>
        <source>Visible or background</source>
        <translation>[Visible or background]</translation>
    </message>
    <message>
        <source>cancel</source>
        <translation>[cancel]</translation>
    </message>
    <message>
        <source>All tags</source>
        <translation>[All tags]</translation>
    </message>
    <message>
        <source>{n} running</source>
        <translation>[{n} running]</translation>
    </message>
    <message>
        <source>next alarm {when} ({relative})</source>
        <translation>[next alarm {when} ({relative})]</translation>
    </message>
    <message>
        <source>no alarms set</source>
        <translation>[no alarms set]</translation>
    </message>
</context>
<context>
    <name>NewReminderDialog</name>
    <message>
        <source>New reminder</source>
        <translation>[New reminder]</translation>
    </message>
    <message>
        <source>What should Workdeck remind you of?</source>
        <translation>[What should Workdeck remind you of?]</translation>
    </message>
    <message>
        <source>Remind me of</source>
        <translation>[Remind me of]</translation>
    </message>
    <message>
        <source>At</source>
        <translation>[At]</translation>
    </message>
    <message>
        <source>Write what the reminder should say.</source>
        <translation>[Write what the reminder should say.]</translation>
    </message>
    <message>
        <source>Choose a time in the future.</source>
        <translation>[Choose a time in the future.]</translation>
    </message>
</context>
<context>
    <name>NewTaskDialog</name>
    <message>
        <source>New task</source>
        <translation>[New task]</translation>
    </message>
    <message>
        <source>Edit task</source>
        <translation>[Edit task]</translation>
    </message>
    <message>
        <source>Duplicate task</source>
        <translation>[Duplicate task]</translation>
    </message>
    <message>
        <source>Task details form</source>
        <translation>[Task details form]</translation>
    </message>
    <message>
        <source>The fields of the task: what it runs, when, and under which conditions</source>
        <translation>[The fields of the task: what it runs, when, and under which conditions]</translation>
    </message>
    <message>
        <source>Back</source>
        <translation>[Back]</translation>
    </message>
    <message>
        <source>Next</source>
        <translation>[Next]</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>[Save]</translation>
    </message>
    <message>
        <source>Create</source>
        <translation>[Create]</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>[Cancel]</translation>
    </message>
    <message>
        <source>Back to the questions</source>
        <translation>[Back to the questions]</translation>
    </message>
    <message>
        <source>On to the task's details (Return)</source>
        <translation>[On to the task's details (Return)]</translation>
    </message>
    <message>
        <source>Save the changes (Return)</source>
        <translation>[Save the changes (Return)]</translation>
    </message>
    <message>
        <source>Create the task (Return)</source>
        <translation>[Create the task (Return)]</translation>
    </message>
    <message>
        <source>Close without creating anything (Escape)</source>
        <translation>[Close without creating anything (Escape)]</translation>
    </message>
</context>
<context>
    <name>Refusals</name>
    <message>
        <source>“{text}” is not a length of time: write a number and a unit (ms, s, m, h, d), e.g. 90s or 1h30m</source>
        <extracomment>(what the engine says, as a regex with named groups; what the form says, a template).</extracomment>
        <translation>[“{text}” is not a length of time: write a number and a unit (ms, s, m, h, d), e.g. 90s or 1h30m]</translation>
    </message>
    <message>
        <source>“{text}” is too long: at most 100 years</source>
        <translation>[“{text}” is too long: at most 100 years]</translation>
    </message>
    <message>
        <source>That is too long: at most 100 years</source>
        <translation>[That is too long: at most 100 years]</translation>
    </message>
    <message>
        <source>A length of time here must be more than zero</source>
        <translation>[A length of time here must be more than zero]</translation>
    </message>
    <message>
        <source>A length of time here must not be negative</source>
        <translation>[A length of time here must not be negative]</translation>
    </message>
    <message>
        <source>“{text}” is not a cron rule: five fields (minute hour day month weekday), e.g. 0 8 * * 1-5</source>
        <translation>[“{text}” is not a cron rule: five fields (minute hour day month weekday), e.g. 0 8 * * 1-5]</translation>
    </message>
    <message>
        <source>{time} has passed (it is {now}): choose a later time</source>
        <translation>[{time} has passed (it is {now}): choose a later time]</translation>
    </message>
    <message>
        <source>The repeat rule never happens again: check when it ends</source>
        <translation>[The repeat rule never happens again: check when it ends]</translation>
    </message>
    <message>
        <source>Repeat every {least} or more, not every {given}</source>
        <translation>[Repeat every {least} or more, not every {given}]</translation>
    </message>
    <message>
        <source>A shell task needs a command: fill in Program</source>
        <translation>[A shell task needs a command: fill in Program]</translation>
    </message>
    <message>
        <source>Fill in Function as package.module:function</source>
        <translation>[Fill in Function as package.module:function]</translation>
    </message>
    <message>
        <source>A reminder needs a message</source>
        <translation>[A reminder needs a message]</translation>
    </message>
    <message>
        <source>A name must not be only spaces</source>
        <translation>[A name must not be only spaces]</translation>
    </message>
    <message>
        <source>Run after: task {id} no longer exists</source>
        <translation>[Run after: task {id} no longer exists]</translation>
    </message>
    <message>
        <source>Run after: task {id} repeats and never finishes; choose one-time work</source>
        <translation>[Run after: task {id} repeats and never finishes; choose one-time work]</translation>
    </message>
    <message>
        <source>Run after: a task cannot wait for itself</source>
        <translation>[Run after: a task cannot wait for itself]</translation>
    </message>
    <message>
        <source>Run after: task {id} already waits for this one</source>
        <translation>[Run after: task {id} already waits for this one]</translation>
    </message>
    <message>
        <source>Repeating work cannot run after a task of the same name: choose keep it, replace it or update it</source>
        <translation>[Repeating work cannot run after a task of the same name: choose keep it, replace it or update it]</translation>
    </message>
    <message>
        <source>A text here contains a NUL character: remove it</source>
        <translation>[A text here contains a NUL character: remove it]</translation>
    </message>
</context>
<context>
    <name>ReminderPresenter</name>
    <message>
        <source>Missed reminder</source>
        <extracomment>Notify's argument types as the spec gives them: app_name, replaces_id (u), app_icon, summary, body, actions (as), hints (a{sv}), expire_timeout (i). NotificationClosed reasons (the spec): 1 expired, 2 closed by the user, 3 by a call. A blocking call to the notification server is bounded: it answers in milliseconds, and a hung server must not freeze the window for the default 25 s. How long the tray's own message (the fallback without a server) stays: it must not sit over the tray icon or the window's buttons; the reminder stays in the missed list. Reminders nobody answered, when the engine has no missed list of its own.</extracomment>
        <translation>[Missed reminder]</translation>
    </message>
    <message>
        <source>Reminder</source>
        <translation>[Reminder]</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>[Open]</translation>
    </message>
    <message>
        <source>Snooze {n} min</source>
        <translation>[Snooze {n} min]</translation>
    </message>
    <message>
        <source>Dismiss</source>
        <translation>[Dismiss]</translation>
    </message>
    <message>
        <source>Workdeck: {title}</source>
        <translation>[Workdeck: {title}]</translation>
    </message>
</context>
<context>
    <name>ReminderWindow</name>
    <message>
        <source>Workdeck reminder</source>
        <translation>[Workdeck reminder]</translation>
    </message>
    <message>
        <source>Snooze</source>
        <translation>[Snooze]</translation>
    </message>
    <message>
        <source>{n} min</source>
        <translation>[{n} min]</translation>
    </message>
    <message>
        <source>Snooze until</source>
        <translation>[Snooze until]</translation>
    </message>
    <message>
        <source>Dismiss</source>
        <translation>[Dismiss]</translation>
    </message>
    <message>
        <source>Reminder 1 of {n}</source>
        <translation>[Reminder 1 of {n}]</translation>
    </message>
    <message>
        <source>Reminder</source>
        <translation>[Reminder]</translation>
    </message>
    <message>
        <source>(no message)</source>
        <translation>[(no message)]</translation>
    </message>
    <message>
        <source>Missed</source>
        <translation>[Missed]</translation>
    </message>
    <message>
        <source>due {when}</source>
        <translation>[due {when}]</translation>
    </message>
    <message>
        <source>Choose a time in the future to snooze until.</source>
        <translation>[Choose a time in the future to snooze until.]</translation>
    </message>
</context>
<context>
    <name>RemindersDock</name>
    <message>
        <source>Reminders</source>
        <translation>[Reminders]</translation>
    </message>
    <message>
        <source>Unanswered reminders: snooze, dismiss or open them</source>
        <translation>[Unanswered reminders: snooze, dismiss or open them]</translation>
    </message>
    <message>
        <source>Reminders ({n})</source>
        <translation>[Reminders ({n})]</translation>
    </message>
</context>
<context>
    <name>RemindersView</name>
    <message>
        <source>Unanswered reminders</source>
        <translation>[Unanswered reminders]</translation>
    </message>
    <message>
        <source>Due</source>
        <translation>[Due]</translation>
    </message>
    <message>
        <source>Reminder</source>
        <translation>[Reminder]</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>[Status]</translation>
    </message>
    <message>
        <source>Snooze {n} min</source>
        <translation>[Snooze {n} min]</translation>
    </message>
    <message>
        <source>{n} min</source>
        <translation>[{n} min]</translation>
    </message>
    <message>
        <source>1 hour</source>
        <translation>[1 hour]</translation>
    </message>
    <message>
        <source>Dismiss</source>
        <translation>[Dismiss]</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>[Open]</translation>
    </message>
    <message>
        <source>Show the reminder's task in the window</source>
        <translation>[Show the reminder's task in the window]</translation>
    </message>
    <message>
        <source>missed</source>
        <translation>[missed]</translation>
    </message>
    <message>
        <source>not answered</source>
        <translation>[not answered]</translation>
    </message>
    <message>
        <source>{status} ({detail})</source>
        <translation>[{status} ({detail})]</translation>
    </message>
    <message>
        <source>(no message)</source>
        <translation>[(no message)]</translation>
    </message>
    <message>
        <source>1 unanswered reminder</source>
        <translation>[1 unanswered reminder]</translation>
    </message>
    <message>
        <source>{n} unanswered reminders</source>
        <translation>[{n} unanswered reminders]</translation>
    </message>
    <message>
        <source>No unanswered reminders: everything was snoozed or dismissed.</source>
        <translation>[No unanswered reminders: everything was snoozed or dismissed.]</translation>
    </message>
</context>
<context>
    <name>RunHistoryModel</name>
    <message>
        <source>Started</source>
        <extracomment>Column titles (translated in headerData).</extracomment>
        <translation>[Started]</translation>
    </message>
    <message>
        <source>Ended</source>
        <translation>[Ended]</translation>
    </message>
    <message>
        <source>Duration</source>
        <translation>[Duration]</translation>
    </message>
    <message>
        <source>Outcome</source>
        <translation>[Outcome]</translation>
    </message>
    <message>
        <source>Stop reason</source>
        <translation>[Stop reason]</translation>
    </message>
    <message>
        <source>Exit</source>
        <translation>[Exit]</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>[Note]</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <source>Workdeck settings</source>
        <translation>[Workdeck settings]</translation>
    </message>
    <message>
        <source>Start Workdeck in the tray when I log in</source>
        <translation>[Start Workdeck in the tray when I log in]</translation>
    </message>
    <message>
        <source>Closing the window keeps Workdeck running in the tray</source>
        <translation>[Closing the window keeps Workdeck running in the tray]</translation>
    </message>
    <message>
        <source>Automatic</source>
        <translation>[Automatic]</translation>
    </message>
    <message>
        <source>Desktop notification</source>
        <translation>[Desktop notification]</translation>
    </message>
    <message>
        <source>Tray message</source>
        <translation>[Tray message]</translation>
    </message>
    <message>
        <source>Workdeck's reminder window</source>
        <translation>[Workdeck's reminder window]</translation>
    </message>
    <message>
        <source> min</source>
        <translation>[ min]</translation>
    </message>
    <message>
        <source>(default)</source>
        <translation>[(default)]</translation>
    </message>
    <message>
        <source>Reminders as</source>
        <translation>[Reminders as]</translation>
    </message>
    <message>
        <source>Default snooze</source>
        <translation>[Default snooze]</translation>
    </message>
    <message>
        <source>Deferred work at once</source>
        <translation>[Deferred work at once]</translation>
    </message>
    <message>
        <source>Data location</source>
        <translation>[Data location]</translation>
    </message>
</context>
<context>
    <name>TakeOver</name>
    <message>
        <source>Workdeck is running in the background</source>
        <extracomment>serve stops gracefully (engine.stop waits up to 10 s for running work): wait a little longer.</extracomment>
        <translation>[Workdeck is running in the background]</translation>
    </message>
    <message>
        <source>Workdeck is already running without a window (workdeck serve, pid {pid}) and owns this database.</source>
        <translation>[Workdeck is already running without a window (workdeck serve, pid {pid}) and owns this database.]</translation>
    </message>
    <message>
        <source>Take over to run Workdeck in this window instead: the background instance stops, and tasks it was running are stopped and resumed here. Or quit and leave it running.</source>
        <translation>[Take over to run Workdeck in this window instead: the background instance stops, and tasks it was running are stopped and resumed here. Or quit and leave it running.]</translation>
    </message>
    <message>
        <source>Take over</source>
        <translation>[Take over]</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>[Quit]</translation>
    </message>
</context>
<context>
    <name>TaskCommands</name>
    <message>
        <source>{what}: {problem}</source>
        <translation>[{what}: {problem}]</translation>
    </message>
    <message>
        <source>add examples</source>
        <translation>[add examples]</translation>
    </message>
    <message>
        <source>remove examples</source>
        <translation>[remove examples]</translation>
    </message>
    <message>
        <source>1 example task removed</source>
        <translation>[1 example task removed]</translation>
    </message>
    <message>
        <source>{n} example tasks removed</source>
        <translation>[{n} example tasks removed]</translation>
    </message>
    <message>
        <source>edit</source>
        <translation>[edit]</translation>
    </message>
    <message>
        <source>{task} is {state}: nothing to start</source>
        <translation>[{task} is {state}: nothing to start]</translation>
    </message>
    <message>
        <source>run now</source>
        <translation>[run now]</translation>
    </message>
    <message>
        <source>{task} could not be started now</source>
        <translation>[{task} could not be started now]</translation>
    </message>
    <message>
        <source>cancel</source>
        <translation>[cancel]</translation>
    </message>
    <message>
        <source>Stop task</source>
        <translation>[Stop task]</translation>
    </message>
    <message>
        <source>{task} is running. Stop it and cancel it?</source>
        <translation>[{task} is running. Stop it and cancel it?]</translation>
    </message>
    <message>
        <source>It will not run again unless you retry it.</source>
        <translation>[It will not run again unless you retry it.]</translation>
    </message>
    <message>
        <source>Stop and cancel</source>
        <translation>[Stop and cancel]</translation>
    </message>
    <message>
        <source>Keep running</source>
        <translation>[Keep running]</translation>
    </message>
    <message>
        <source>Delete task</source>
        <translation>[Delete task]</translation>
    </message>
    <message>
        <source>Delete {task} and its history of runs and output?</source>
        <translation>[Delete {task} and its history of runs and output?]</translation>
    </message>
    <message>
        <source>This cannot be undone.</source>
        <translation>[This cannot be undone.]</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>[Delete]</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>[Cancel]</translation>
    </message>
    <message>
        <source>delete</source>
        <translation>[delete]</translation>
    </message>
    <message>
        <source>retry</source>
        <translation>[retry]</translation>
    </message>
</context>
<context>
    <name>TaskForm</name>
    <message>
        <source>Command</source>
        <extracomment>Scoped immediate work is enqueued as immediate work with this tag; the window that launched it cancels it when it closes.</extracomment>
        <translation>[Command]</translation>
    </message>
    <message>
        <source>Python callable</source>
        <translation>[Python callable]</translation>
    </message>
    <message>
        <source>Reminder message</source>
        <translation>[Reminder message]</translation>
    </message>
    <message>
        <source>Does not repeat</source>
        <translation>[Does not repeat]</translation>
    </message>
    <message>
        <source>Every (interval)</source>
        <translation>[Every (interval)]</translation>
    </message>
    <message>
        <source>Cron expression</source>
        <translation>[Cron expression]</translation>
    </message>
    <message>
        <source>What it runs</source>
        <translation>[What it runs]</translation>
    </message>
    <message>
        <source>Type</source>
        <translation>[Type]</translation>
    </message>
    <message>
        <source>Work type</source>
        <translation>[Work type]</translation>
    </message>
    <message>
        <source>What the task does: run a program, call Python, show a reminder</source>
        <translation>[What the task does: run a program, call Python, show a reminder]</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>[Browse…]</translation>
    </message>
    <message>
        <source>Choose a program file</source>
        <translation>[Choose a program file]</translation>
    </message>
    <message>
        <source>Pick the program to run from a file dialog</source>
        <translation>[Pick the program to run from a file dialog]</translation>
    </message>
    <message>
        <source>Program</source>
        <translation>[Program]</translation>
    </message>
    <message>
        <source>The program to run: a path or a name on PATH</source>
        <translation>[The program to run: a path or a name on PATH]</translation>
    </message>
    <message>
        <source>one argument per line, no shell quoting needed</source>
        <translation>[one argument per line, no shell quoting needed]</translation>
    </message>
    <message>
        <source>Arguments</source>
        <translation>[Arguments]</translation>
    </message>
    <message>
        <source>One argument per line</source>
        <translation>[One argument per line]</translation>
    </message>
    <message>
        <source>Command preview</source>
        <translation>[Command preview]</translation>
    </message>
    <message>
        <source>The command exactly as it will run, program and arguments</source>
        <translation>[The command exactly as it will run, program and arguments]</translation>
    </message>
    <message>
        <source>Callable</source>
        <translation>[Callable]</translation>
    </message>
    <message>
        <source>Message</source>
        <translation>[Message]</translation>
    </message>
    <message>
        <source>The words the reminder shows</source>
        <translation>[The words the reminder shows]</translation>
    </message>
    <message>
        <source>When</source>
        <translation>[When]</translation>
    </message>
    <message>
        <source>At</source>
        <translation>[At]</translation>
    </message>
    <message>
        <source>Alarm time</source>
        <translation>[Alarm time]</translation>
    </message>
    <message>
        <source>The local date and time the alarm fires</source>
        <translation>[The local date and time the alarm fires]</translation>
    </message>
    <message>
        <source>e.g. 10m or 1h30m; empty: as soon as possible</source>
        <translation>[e.g. 10m or 1h30m; empty: as soon as possible]</translation>
    </message>
    <message>
        <source>Delay</source>
        <translation>[Delay]</translation>
    </message>
    <message>
        <source>How long to wait before it may run</source>
        <translation>[How long to wait before it may run]</translation>
    </message>
    <message>
        <source>Repeat rule</source>
        <translation>[Repeat rule]</translation>
    </message>
    <message>
        <source>Whether and how the task repeats</source>
        <translation>[Whether and how the task repeats]</translation>
    </message>
    <message>
        <source>Repeat value</source>
        <translation>[Repeat value]</translation>
    </message>
    <message>
        <source>An interval such as 1h, or a cron expression</source>
        <translation>[An interval such as 1h, or a cron expression]</translation>
    </message>
    <message>
        <source>Repeat</source>
        <translation>[Repeat]</translation>
    </message>
    <message>
        <source>If the computer was off</source>
        <translation>[If the computer was off]</translation>
    </message>
    <message>
        <source>If the alarm was missed</source>
        <translation>[If the alarm was missed]</translation>
    </message>
    <message>
        <source>What happens to alarm times that passed while Workdeck was not running</source>
        <translation>[What happens to alarm times that passed while Workdeck was not running]</translation>
    </message>
    <message>
        <source>Only when: {condition}</source>
        <translation>[Only when: {condition}]</translation>
    </message>
    <message>
        <source>The task runs only while this holds, and waits otherwise</source>
        <translation>[The task runs only while this holds, and waits otherwise]</translation>
    </message>
    <message>
        <source>Only when</source>
        <translation>[Only when]</translation>
    </message>
    <message>
        <source>Run after</source>
        <translation>[Run after]</translation>
    </message>
    <message>
        <source> times</source>
        <translation>[ times]</translation>
    </message>
    <message>
        <source>never</source>
        <translation>[never]</translation>
    </message>
    <message>
        <source>Retry after failure</source>
        <translation>[Retry after failure]</translation>
    </message>
    <message>
        <source>How many times a failed run is tried again</source>
        <translation>[How many times a failed run is tried again]</translation>
    </message>
    <message>
        <source>first</source>
        <translation>[first]</translation>
    </message>
    <message>
        <source>First wait before a retry</source>
        <translation>[First wait before a retry]</translation>
    </message>
    <message>
        <source>How long to wait before the first retry, e.g. 30s</source>
        <translation>[How long to wait before the first retry, e.g. 30s]</translation>
    </message>
    <message>
        <source>then</source>
        <translation>[then]</translation>
    </message>
    <message>
        <source>How the wait grows between retries</source>
        <translation>[How the wait grows between retries]</translation>
    </message>
    <message>
        <source>Each later retry waits a little longer, or twice as long</source>
        <translation>[Each later retry waits a little longer, or twice as long]</translation>
    </message>
    <message>
        <source>Wait before retrying</source>
        <translation>[Wait before retrying]</translation>
    </message>
    <message>
        <source>empty: no limit</source>
        <translation>[empty: no limit]</translation>
    </message>
    <message>
        <source>Stop after</source>
        <translation>[Stop after]</translation>
    </message>
    <message>
        <source>Stop a run after this long; it counts as a failure</source>
        <translation>[Stop a run after this long; it counts as a failure]</translation>
    </message>
    <message>
        <source>Name and tags</source>
        <translation>[Name and tags]</translation>
    </message>
    <message>
        <source>optional; one task per name</source>
        <translation>[optional; one task per name]</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>[Name]</translation>
    </message>
    <message>
        <source>Optional. Only one waiting task may have a name</source>
        <translation>[Optional. Only one waiting task may have a name]</translation>
    </message>
    <message>
        <source>If a task with this name exists</source>
        <translation>[If a task with this name exists]</translation>
    </message>
    <message>
        <source>What to do when a waiting task already has this name</source>
        <translation>[What to do when a waiting task already has this name]</translation>
    </message>
    <message>
        <source>comma separated</source>
        <translation>[comma separated]</translation>
    </message>
    <message>
        <source>Tags</source>
        <translation>[Tags]</translation>
    </message>
    <message>
        <source>Words to find and filter the task by, separated by commas</source>
        <translation>[Words to find and filter the task by, separated by commas]</translation>
    </message>
    <message>
        <source>Validation message</source>
        <translation>[Validation message]</translation>
    </message>
    <message>
        <source>Conditions and retries</source>
        <translation>[Conditions and retries]</translation>
    </message>
    <message>
        <source>What must change before the task can be created</source>
        <translation>[What must change before the task can be created]</translation>
    </message>
    <message>
        <source>Retries and limits</source>
        <translation>[Retries and limits]</translation>
    </message>
    <message>
        <source>Limits</source>
        <translation>[Limits]</translation>
    </message>
    <message>
        <source>e.g. 1h or 1d</source>
        <translation>[e.g. 1h or 1d]</translation>
    </message>
    <message>
        <source>e.g. 0 8 * * 1-5</source>
        <translation>[e.g. 0 8 * * 1-5]</translation>
    </message>
    <message>
        <source>Choose a program</source>
        <translation>[Choose a program]</translation>
    </message>
    <message>
        <source>give the repeat interval, e.g. 1h</source>
        <translation>[give the repeat interval, e.g. 1h]</translation>
    </message>
    <message>
        <source>give the cron expression, e.g. 0 8 * * 1-5</source>
        <translation>[give the cron expression, e.g. 0 8 * * 1-5]</translation>
    </message>
</context>
<context>
    <name>TaskTableModel</name>
    <message>
        <source>Name</source>
        <extracomment>Data roles beyond Qt's own. Column titles (translated in headerData).</extracomment>
        <translation>[Name]</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>[Kind]</translation>
    </message>
    <message>
        <source>State</source>
        <translation>[State]</translation>
    </message>
    <message>
        <source>Next run</source>
        <translation>[Next run]</translation>
    </message>
    <message>
        <source>Last outcome</source>
        <translation>[Last outcome]</translation>
    </message>
    <message>
        <source>Progress</source>
        <translation>[Progress]</translation>
    </message>
    <message>
        <source>Runs</source>
        <translation>[Runs]</translation>
    </message>
    <message>
        <source>{runs} ({failed} failed)</source>
        <extracomment>Columns whose sort key is an attribute of the task: list.sort reads it in C (operator.attrgetter), no Python call per row. Runs sort by how many ever ended. Longest a change waits before the views see it: ten updates a second is live to the eye (the timeline, not the table, shows motion), and under 100 ms reads as instant.
----------
A column's room beside its words: the view's margins either side, and a little air.</extracomment>
        <translation>[{runs} ({failed} failed)]</translation>
    </message>
    <message>
        <source>{runs} runs ended: {succeeded} succeeded, {failed} failed or timed out, {other} other</source>
        <translation>[{runs} runs ended: {succeeded} succeeded, {failed} failed or timed out, {other} other]</translation>
    </message>
    <message>
        <source>last: {outcome}</source>
        <translation>[last: {outcome}]</translation>
    </message>
    <message>
        <source>id {id}</source>
        <translation>[id {id}]</translation>
    </message>
    <message>
        <source>defined by the manifest: change it there</source>
        <translation>[defined by the manifest: change it there]</translation>
    </message>
</context>
<context>
    <name>Timeline</name>
    <message>
        <source>Immediate</source>
        <extracomment>The lanes' titles (translated when the rows are built).</extracomment>
        <translation>[Immediate]</translation>
    </message>
    <message>
        <source>Deferred</source>
        <translation>[Deferred]</translation>
    </message>
    <message>
        <source>Exact</source>
        <translation>[Exact]</translation>
    </message>
    <message>
        <source>{lane} ({count} hidden)</source>
        <extracomment>The window's search and filters: tasks it rejects are hidden (see set_filter). The view's range holds more runs than pixels: draw :attr:`density`, not bars. (instant in µs, visible?) in time order; fed by the window (later the lifecycle).
----------
While following now and not zoomed by hand, the span grows to show upcoming work. The span the user chose (or the default): what fitting upcoming work widens. Where the "next: ..." marker was last drawn, and the due time and task it shows. The axis labels drawn in the last paint, where and what (ui.timeline.axis). How many legend entries fitted in the last paint (the rest are left out whole).</extracomment>
        <translation>[{lane} ({count} hidden)]</translation>
    </message>
</context>
<context>
    <name>TimelinePainter</name>
    <message>
        <source>visible / background</source>
        <extracomment>Tick steps in seconds: the first that leaves &gt;= 90 px between ticks is used. Pixels kept free between an axis label and the "next: ..." marker.</extracomment>
        <translation>[visible / background]</translation>
    </message>
    <message>
        <source>next: {time} {title} ▸</source>
        <extracomment>Where the now-line sits while following now (fraction of the plot's width): a third of the view is the future, where alarms and waiting work are drawn. Work due further ahead than this does not widen the view; the edge marker points to it.</extracomment>
        <translation>[next: {time} {title} ▸]</translation>
    </message>
    <message>
        <source>queued</source>
        <translation>[queued]</translation>
    </message>
    <message>
        <source>missed</source>
        <translation>[missed]</translation>
    </message>
    <message>
        <source>due</source>
        <translation>[due]</translation>
    </message>
    <message>
        <source>visible</source>
        <translation>[visible]</translation>
    </message>
    <message>
        <source>background</source>
        <translation>[background]</translation>
    </message>
    <message>
        <source>now</source>
        <translation>[now]</translation>
    </message>
</context>
<context>
    <name>TimelineView</name>
    <message>
        <source>Timeline</source>
        <extracomment>The span while following now, unless upcoming work needs more to be in view.</extracomment>
        <translation>[Timeline]</translation>
    </message>
    <message>
        <source>Runs over time by kind of work. Ctrl+wheel or +/- zooms, drag or arrows pan, Home fits all. Failed runs carry a dark top edge, missed alarms are hatched, so no outcome is told by colour alone.</source>
        <translation>[Runs over time by kind of work. Ctrl+wheel or +/- zooms, drag or arrows pan, Home fits all. Failed runs carry a dark top edge, missed alarms are hatched, so no outcome is told by colour alone.]</translation>
    </message>
    <message>
        <source>&lt;b&gt;{title}&lt;/b&gt;&lt;br&gt;due {time} ({relative})&lt;br&gt;click to bring it into view</source>
        <translation>[&lt;b&gt;{title}&lt;/b&gt;&lt;br&gt;due {time} ({relative})&lt;br&gt;click to bring it into view]</translation>
    </message>
    <message>
        <source>1 run here</source>
        <translation>[1 run here]</translation>
    </message>
    <message>
        <source>{count} runs here</source>
        <translation>[{count} runs here]</translation>
    </message>
    <message>
        <source>&lt;b&gt;{label}&lt;/b&gt;&lt;br&gt;{runs}, {bad} not succeeded; worst outcome: {worst}</source>
        <translation>[&lt;b&gt;{label}&lt;/b&gt;&lt;br&gt;{runs}, {bad} not succeeded; worst outcome: {worst}]</translation>
    </message>
    <message>
        <source>&lt;b&gt;{title}&lt;/b&gt; — {kind} · attempt {attempt}</source>
        <translation>[&lt;b&gt;{title}&lt;/b&gt; — {kind} · attempt {attempt}]</translation>
    </message>
    <message>
        <source>missed alarm due {time}</source>
        <translation>[missed alarm due {time}]</translation>
    </message>
    <message>
        <source>started {time}</source>
        <translation>[started {time}]</translation>
    </message>
    <message>
        <source>ended {time}</source>
        <translation>[ended {time}]</translation>
    </message>
    <message>
        <source>still running</source>
        <translation>[still running]</translation>
    </message>
    <message>
        <source>duration {span}</source>
        <translation>[duration {span}]</translation>
    </message>
    <message>
        <source>outcome: {outcome} ({reason})</source>
        <translation>[outcome: {outcome} ({reason})]</translation>
    </message>
    <message>
        <source>outcome: {outcome}</source>
        <translation>[outcome: {outcome}]</translation>
    </message>
    <message>
        <source>&lt;b&gt;{title}&lt;/b&gt;&lt;br&gt;due {time} ({relative})</source>
        <translation>[&lt;b&gt;{title}&lt;/b&gt;&lt;br&gt;due {time} ({relative})]</translation>
    </message>
</context>
<context>
    <name>TrayMenu</name>
    <message>
        <source> (missed)</source>
        <translation>[ (missed)]</translation>
    </message>
    <message>
        <source>Show Workdeck</source>
        <translation>[Show Workdeck]</translation>
    </message>
    <message>
        <source>Running</source>
        <translation>[Running]</translation>
    </message>
    <message>
        <source>Next alarms</source>
        <translation>[Next alarms]</translation>
    </message>
    <message>
        <source>No unanswered reminders</source>
        <translation>[No unanswered reminders]</translation>
    </message>
    <message>
        <source>All reminders…</source>
        <translation>[All reminders…]</translation>
    </message>
    <message>
        <source>Pause deferred work</source>
        <translation>[Pause deferred work]</translation>
    </message>
    <message>
        <source>New reminder…</source>
        <translation>[New reminder…]</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>[Quit]</translation>
    </message>
    <message>
        <source>Running ({n})</source>
        <translation>[Running ({n})]</translation>
    </message>
    <message>
        <source>Nothing running</source>
        <translation>[Nothing running]</translation>
    </message>
    <message>
        <source>No alarms</source>
        <translation>[No alarms]</translation>
    </message>
    <message>
        <source>Unanswered reminders ({n})</source>
        <translation>[Unanswered reminders ({n})]</translation>
    </message>
    <message>
        <source>Resume deferred work</source>
        <translation>[Resume deferred work]</translation>
    </message>
</context>
<context>
    <name>TrayModel</name>
    <message>
        <source>Workdeck</source>
        <extracomment>Unanswered reminders listed in the menu; the window's Reminders view has them all. How many running tasks a "Let them finish" quit still waits for (0: no quit pending). Reminders shown or missed and not yet snoozed or dismissed (the engine's list).</extracomment>
        <translation>[Workdeck]</translation>
    </message>
    <message>
        <source>1 task running</source>
        <translation>[1 task running]</translation>
    </message>
    <message>
        <source>{n} tasks running</source>
        <translation>[{n} tasks running]</translation>
    </message>
    <message>
        <source>Nothing running</source>
        <translation>[Nothing running]</translation>
    </message>
    <message>
        <source>Next alarm: {alarm}</source>
        <translation>[Next alarm: {alarm}]</translation>
    </message>
    <message>
        <source>1 unanswered reminder</source>
        <translation>[1 unanswered reminder]</translation>
    </message>
    <message>
        <source>{n} unanswered reminders</source>
        <translation>[{n} unanswered reminders]</translation>
    </message>
    <message>
        <source>Deferred work paused</source>
        <translation>[Deferred work paused]</translation>
    </message>
    <message>
        <source>Quits when the running task finishes</source>
        <translation>[Quits when the running task finishes]</translation>
    </message>
    <message>
        <source>Quits when the {n} running tasks finish</source>
        <translation>[Quits when the {n} running tasks finish]</translation>
    </message>
</context>
<context>
    <name>WindowActions</name>
    <message>
        <source>&amp;New task…</source>
        <translation>[&amp;New task…]</translation>
    </message>
    <message>
        <source>Create a task (Ctrl+N)</source>
        <translation>[Create a task (Ctrl+N)]</translation>
    </message>
    <message>
        <source>&amp;Run now</source>
        <translation>[&amp;Run now]</translation>
    </message>
    <message>
        <source>Start the selected task now (F5)</source>
        <translation>[Start the selected task now (F5)]</translation>
    </message>
    <message>
        <source>&amp;Cancel</source>
        <translation>[&amp;Cancel]</translation>
    </message>
    <message>
        <source>Cancel the selected task (Delete)</source>
        <translation>[Cancel the selected task (Delete)]</translation>
    </message>
    <message>
        <source>Re&amp;try</source>
        <translation>[Re&amp;try]</translation>
    </message>
    <message>
        <source>Run a finished task again, as a new task</source>
        <translation>[Run a finished task again, as a new task]</translation>
    </message>
    <message>
        <source>&amp;Duplicate…</source>
        <translation>[&amp;Duplicate…]</translation>
    </message>
    <message>
        <source>Create a new task from the selected one's spec</source>
        <translation>[Create a new task from the selected one's spec]</translation>
    </message>
    <message>
        <source>&amp;Edit…</source>
        <translation>[&amp;Edit…]</translation>
    </message>
    <message>
        <source>Change a waiting task, or a running one from its next run</source>
        <translation>[Change a waiting task, or a running one from its next run]</translation>
    </message>
    <message>
        <source>De&amp;lete…</source>
        <translation>[De&amp;lete…]</translation>
    </message>
    <message>
        <source>Delete the selected task and its history (Shift+Delete)</source>
        <translation>[Delete the selected task and its history (Shift+Delete)]</translation>
    </message>
    <message>
        <source>&amp;Find</source>
        <translation>[&amp;Find]</translation>
    </message>
    <message>
        <source>Search tasks (Ctrl+F)</source>
        <translation>[Search tasks (Ctrl+F)]</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>[&amp;Quit]</translation>
    </message>
    <message>
        <source>Quit Workdeck (Ctrl+Q)</source>
        <translation>[Quit Workdeck (Ctrl+Q)]</translation>
    </message>
    <message>
        <source>&amp;Follow now</source>
        <translation>[&amp;Follow now]</translation>
    </message>
    <message>
        <source>Keep now in view on the timeline</source>
        <translation>[Keep now in view on the timeline]</translation>
    </message>
    <message>
        <source>Next &amp;pane</source>
        <translation>[Next &amp;pane]</translation>
    </message>
    <message>
        <source>Move to the next pane (F6)</source>
        <translation>[Move to the next pane (F6)]</translation>
    </message>
    <message>
        <source>Previous pane</source>
        <translation>[Previous pane]</translation>
    </message>
    <message>
        <source>Move to the previous pane (Shift+F6)</source>
        <translation>[Move to the previous pane (Shift+F6)]</translation>
    </message>
    <message>
        <source>Fit &amp;all</source>
        <translation>[Fit &amp;all]</translation>
    </message>
    <message>
        <source>Show everything on the timeline (Home)</source>
        <translation>[Show everything on the timeline (Home)]</translation>
    </message>
    <message>
        <source>Main</source>
        <translation>[Main]</translation>
    </message>
    <message>
        <source>Main toolbar</source>
        <translation>[Main toolbar]</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>[&amp;File]</translation>
    </message>
    <message>
        <source>&amp;Task</source>
        <translation>[&amp;Task]</translation>
    </message>
    <message>
        <source>Add &amp;example tasks</source>
        <translation>[Add &amp;example tasks]</translation>
    </message>
    <message>
        <source>Add one harmless task of each kind to see how Workdeck works</source>
        <translation>[Add one harmless task of each kind to see how Workdeck works]</translation>
    </message>
    <message>
        <source>&amp;Remove example tasks</source>
        <translation>[&amp;Remove example tasks]</translation>
    </message>
    <message>
        <source>Cancel and delete the example tasks</source>
        <translation>[Cancel and delete the example tasks]</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>[&amp;View]</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>[&amp;Help]</translation>
    </message>
</context>
<context>
    <name>WindowBehaviour</name>
    <message>
        <source>Workdeck is still running</source>
        <translation>[Workdeck is still running]</translation>
    </message>
    <message>
        <source>Closing the window keeps Workdeck running in the tray, so your tasks and reminders go on (work scoped to the window has stopped). To quit, choose Quit in the tray icon's menu or press Ctrl+Q in the window.</source>
        <extracomment>The tray balloon closes itself: left up, it sits over the tray icon and takes its clicks.</extracomment>
        <translation>[Closing the window keeps Workdeck running in the tray, so your tasks and reminders go on (work scoped to the window has stopped). To quit, choose Quit in the tray icon's menu or press Ctrl+Q in the window.]</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>[Quit]</translation>
    </message>
    <message>
        <source>Quit Workdeck</source>
        <translation>[Quit Workdeck]</translation>
    </message>
    <message>
        <source>{n} tasks are still running.</source>
        <translation>[{n} tasks are still running.]</translation>
    </message>
    <message>
        <source>1 task is still running.</source>
        <translation>[1 task is still running.]</translation>
    </message>
    <message>
        <source>Let them finish and quit afterwards, stop them now and resume them when Workdeck starts again, or cancel them. Scheduled and deferred work stays scheduled either way.</source>
        <translation>[Let them finish and quit afterwards, stop them now and resume them when Workdeck starts again, or cancel them. Scheduled and deferred work stays scheduled either way.]</translation>
    </message>
    <message>
        <source>Let them finish</source>
        <translation>[Let them finish]</translation>
    </message>
    <message>
        <source>Let it finish</source>
        <translation>[Let it finish]</translation>
    </message>
    <message>
        <source>Stop, resume at next start</source>
        <translation>[Stop, resume at next start]</translation>
    </message>
    <message>
        <source>Cancel them</source>
        <translation>[Cancel them]</translation>
    </message>
    <message>
        <source>Cancel it</source>
        <translation>[Cancel it]</translation>
    </message>
    <message>
        <source>Don't quit</source>
        <translation>[Don't quit]</translation>
    </message>
</context>
<context>
    <name>WindowVisibility</name>
    <message>
        <source>visible</source>
        <translation>[visible]</translation>
    </message>
    <message>
        <source>background</source>
        <translation>[background]</translation>
    </message>
</context>
<context>
    <name>Words</name>
    <message>
        <source>{name} (manifest)</source>
        <translation>[{name} (manifest)]</translation>
    </message>
    <message>
        <source>remind: {message}</source>
        <translation>[remind: {message}]</translation>
    </message>
    <message>
        <source>{time} (local)</source>
        <translation>[{time} (local)]</translation>
    </message>
    <message>
        <source>in {span}</source>
        <translation>[in {span}]</translation>
    </message>
    <message>
        <source>{span} ago</source>
        <translation>[{span} ago]</translation>
    </message>
    <message>
        <source>Now</source>
        <translation>[Now]</translation>
    </message>
    <message>
        <source>Later</source>
        <translation>[Later]</translation>
    </message>
    <message>
        <source>At a set time</source>
        <translation>[At a set time]</translation>
    </message>
    <message>
        <source>waiting</source>
        <translation>[waiting]</translation>
    </message>
    <message>
        <source>waiting for another task</source>
        <translation>[waiting for another task]</translation>
    </message>
    <message>
        <source>scheduled</source>
        <translation>[scheduled]</translation>
    </message>
    <message>
        <source>running</source>
        <translation>[running]</translation>
    </message>
    <message>
        <source>done</source>
        <translation>[done]</translation>
    </message>
    <message>
        <source>succeeded</source>
        <extracomment>Hues (degrees) and saturations per outcome; lightness comes from the palette. How a run ended, as a person reads it (translated when looked up).</extracomment>
        <translation>[succeeded]</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>[failed]</translation>
    </message>
    <message>
        <source>timed out</source>
        <translation>[timed out]</translation>
    </message>
    <message>
        <source>interrupted</source>
        <translation>[interrupted]</translation>
    </message>
    <message>
        <source>cancelled</source>
        <translation>[cancelled]</translation>
    </message>
    <message>
        <source>unreadable</source>
        <translation>[unreadable]</translation>
    </message>
    <message>
        <source>A network connection</source>
        <translation>[A network connection]</translation>
    </message>
    <message>
        <source>Plugged into power</source>
        <translation>[Plugged into power]</translation>
    </message>
    <message>
        <source>Battery not low</source>
        <translation>[Battery not low]</translation>
    </message>
    <message>
        <source>Enough free disk space</source>
        <translation>[Enough free disk space]</translation>
    </message>
    <message>
        <source>You are away from the computer</source>
        <translation>[You are away from the computer]</translation>
    </message>
    <message>
        <source>Workdeck's window is closed</source>
        <translation>[Workdeck's window is closed]</translation>
    </message>
    <message>
        <source>keep it (add nothing)</source>
        <translation>[keep it (add nothing)]</translation>
    </message>
    <message>
        <source>replace it</source>
        <translation>[replace it]</translation>
    </message>
    <message>
        <source>run this after it</source>
        <translation>[run this after it]</translation>
    </message>
    <message>
        <source>run this after it, or replace it if it failed</source>
        <translation>[run this after it, or replace it if it failed]</translation>
    </message>
    <message>
        <source>update it</source>
        <translation>[update it]</translation>
    </message>
    <message>
        <source>Run once, late</source>
        <translation>[Run once, late]</translation>
    </message>
    <message>
        <source>Skip it</source>
        <translation>[Skip it]</translation>
    </message>
    <message>
        <source>Run every missed time</source>
        <translation>[Run every missed time]</translation>
    </message>
    <message>
        <source>twice as long each time</source>
        <translation>[twice as long each time]</translation>
    </message>
    <message>
        <source>a little longer each time</source>
        <translation>[a little longer each time]</translation>
    </message>
    <message>
        <source>under a second</source>
        <extracomment>Command-line spellings in the engine's refusals, as the form's fields are labelled.</extracomment>
        <translation>[under a second]</translation>
    </message>
    <message>
        <source>{s} s</source>
        <translation>[{s} s]</translation>
    </message>
    <message>
        <source>{min} min {s} s</source>
        <translation>[{min} min {s} s]</translation>
    </message>
    <message>
        <source>{min} min</source>
        <translation>[{min} min]</translation>
    </message>
    <message>
        <source>{h} h {min} min</source>
        <translation>[{h} h {min} min]</translation>
    </message>
    <message>
        <source>{h} h</source>
        <translation>[{h} h]</translation>
    </message>
    <message>
        <source>{d} d {h} h</source>
        <translation>[{d} d {h} h]</translation>
    </message>
    <message>
        <source>{d} d</source>
        <translation>[{d} d]</translation>
    </message>
    <message>
        <source>cancelled by you</source>
        <extracomment>Why a run stopped, as a person says it (the machine words stay in --json).</extracomment>
        <translation>[cancelled by you]</translation>
    </message>
    <message>
        <source>took too long</source>
        <translation>[took too long]</translation>
    </message>
    <message>
        <source>a condition stopped holding</source>
        <translation>[a condition stopped holding]</translation>
    </message>
    <message>
        <source>Workdeck quit</source>
        <translation>[Workdeck quit]</translation>
    </message>
    <message>
        <source>Workdeck had stopped</source>
        <translation>[Workdeck had stopped]</translation>
    </message>
    <message>
        <source>replaced by a newer task</source>
        <translation>[replaced by a newer task]</translation>
    </message>
    <message>
        <source>a task it runs after failed</source>
        <translation>[a task it runs after failed]</translation>
    </message>
    <message>
        <source>a task it runs after was cancelled</source>
        <translation>[a task it runs after was cancelled]</translation>
    </message>
    <message>
        <source>the previous run still ran</source>
        <translation>[the previous run still ran]</translation>
    </message>
    <message>
        <source>served by a later run</source>
        <translation>[served by a later run]</translation>
    </message>
    <message>
        <source>missed</source>
        <translation>[missed]</translation>
    </message>
</context>
</TS>
