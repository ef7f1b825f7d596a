export { createOperator, disableOperator, operatorByToken, ROLES, type NewOperator } from './service';
